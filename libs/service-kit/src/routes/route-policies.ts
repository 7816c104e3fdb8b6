import { Controller, Get, Injectable, OnApplicationBootstrap, RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, HttpAdapterHost, MetadataScanner, Reflector } from '@nestjs/core';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PUBLIC_KEY, RequireRole, Role, ROLES_KEY } from '@tpo/platform';
import type { FastifyInstance } from 'fastify';
import { isAudited } from '../audit/audited-routes';
import { RoutePolicyResponse } from '../openapi/service-kit.responses';

export interface RoutePolicy {
  method: string;
  path: string;
  access: 'public' | Role;
}

/** A controller route with what documentation needs to find its handler. */
export interface RouteEntry extends RoutePolicy {
  controller: Type<unknown>;
  methodName: string;
  handler: (...args: unknown[]) => unknown;
}

/** A route served outside the controllers (e.g. the API docs); `path` ending in `/*` covers a subtree. */
export interface ExtraPublicRoute {
  method: 'GET';
  path: string;
  reason: string;
}

const join = (...parts: string[]) =>
  `/${parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;

const covers = (policy: RoutePolicy, method: string, path: string) =>
  policy.method === method &&
  (policy.path === path || (policy.path.endsWith('/*') && path.startsWith(policy.path.slice(0, -1))));

/**
 * The service's HTTP route table with each route's access policy, built from the controllers'
 * metadata plus the public routes registered outside them (explicitly, with a reason). Boot fails
 * if a mutating route has neither a role nor an explicit @Public, or if the HTTP server serves a
 * route the table does not know (a route nobody thought about must not exist). Admins read the
 * table at GET /v1/routes.
 */
@Injectable()
export class RoutePolicies implements OnApplicationBootstrap {
  private table?: RouteEntry[];
  private readonly extra: ExtraPublicRoute[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** Declares a public route served outside the controllers (before the app starts listening). */
  allowPublic(route: ExtraPublicRoute): void {
    this.extra.push(route);
  }

  onApplicationBootstrap(): void {
    this.table = this.build();
    const unguarded = this.table.filter((r) => r.method !== 'GET' && r.access === 'viewer');
    if (unguarded.length > 0)
      throw new Error(
        `mutating routes without a role policy: ${unguarded.map((r) => `${r.method} ${r.path}`).join(', ')}`,
      );
    const unaudited = this.table.filter(
      (r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method) && !isAudited(r.controller, r.handler),
    );
    if (unaudited.length > 0)
      throw new Error(
        `mutating routes without AuditInterceptor: ${unaudited.map((r) => `${r.method} ${r.path}`).join(', ')}`,
      );
    const unknown = this.servedRoutes().filter((s) => !this.routes().some((p) => covers(p, s.method, s.path)));
    if (unknown.length > 0)
      throw new Error(`routes served without a policy: ${unknown.map((r) => `${r.method} ${r.path}`).join(', ')}`);
  }

  routes(): RoutePolicy[] {
    const own = this.entries().map(({ method, path, access }) => ({ method, path, access }));
    const extra = this.extra.map(({ method, path }) => ({ method, path, access: 'public' as const }));
    return [...own, ...extra].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  }

  /** The controllers' routes (built on first use, so documentation can read them before boot). */
  entries(): RouteEntry[] {
    this.table ??= this.build();
    return this.table;
  }

  private build(): RouteEntry[] {
    const out: RouteEntry[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const type = wrapper.metatype as Type<unknown> | undefined;
      if (!type || !wrapper.instance) continue;
      const base = (Reflect.getMetadata(PATH_METADATA, type) as string | undefined) ?? '';
      const proto = Object.getPrototypeOf(wrapper.instance) as object;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = (proto as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (method === undefined || path === undefined) continue; // not an HTTP route (e.g. an event handler)
        const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [handler, type]);
        const role = this.reflector.getAllAndOverride<Role | undefined>(ROLES_KEY, [handler, type]);
        // A mutating route without a role is recorded as 'viewer' here only to be caught at boot.
        out.push({
          method: RequestMethod[method],
          path: join(base, path),
          access: isPublic ? 'public' : (role ?? 'viewer'),
          controller: type,
          methodName: name,
          handler,
        });
      }
    }
    return out.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  }

  /** What the HTTP server actually routes (recorded by `recordServedRoutes` as routes are added). */
  private servedRoutes(): { method: string; path: string }[] {
    return SERVED.get(this.adapterHost.httpAdapter?.getInstance() as object) ?? [];
  }
}

const SERVED = new WeakMap<object, { method: string; path: string }[]>();

/**
 * Records every route the Fastify server is given from now on (controllers, docs, static assets), so
 * that boot can refuse a route without a policy. Call it before the app is initialised. HEAD routes
 * that Fastify adds beside each GET are the same route.
 */
export function recordServedRoutes(fastify: FastifyInstance): void {
  const served: { method: string; path: string }[] = [];
  SERVED.set(fastify, served);
  fastify.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method])
      if (method !== 'HEAD') served.push({ method, path: route.url });
  });
}

/** API9: the route inventory, for admins and for the test that walks every mutating route. */
@Controller('v1/routes')
@ApiTags('operations')
export class RoutesHttpController {
  constructor(private readonly policies: RoutePolicies) {}

  @Get()
  @RequireRole('admin')
  @ApiOkResponse({
    type: RoutePolicyResponse,
    isArray: true,
    description: 'Every HTTP route of this service with its access policy',
  })
  list(): RoutePolicy[] {
    return this.policies.routes();
  }
}
