import { Controller, Get, Injectable, OnApplicationBootstrap, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { PUBLIC_KEY, RequireRole, Role, ROLES_KEY } from '@tpo/platform';

export interface RoutePolicy {
  method: string;
  path: string;
  access: 'public' | Role;
}

const join = (...parts: string[]) => `/${parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;

/**
 * The service's HTTP route table with each route's access policy, built from the controllers'
 * metadata. Boot fails if a mutating route has neither a role nor an explicit @Public (a route
 * nobody thought about must not exist), and admins can read the table at GET /v1/routes.
 */
@Injectable()
export class RoutePolicies implements OnApplicationBootstrap {
  private table: RoutePolicy[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    this.table = this.build();
    const unguarded = this.table.filter((r) => r.method !== 'GET' && r.access === 'viewer');
    if (unguarded.length > 0) throw new Error(`mutating routes without a role policy: ${unguarded.map((r) => `${r.method} ${r.path}`).join(', ')}`);
  }

  routes(): RoutePolicy[] {
    return this.table;
  }

  private build(): RoutePolicy[] {
    const out: RoutePolicy[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const type = wrapper.metatype;
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
        const verb = RequestMethod[method];
        // A mutating route without a role is recorded as 'viewer' here only to be caught at boot.
        out.push({ method: verb, path: join(base, path), access: isPublic ? 'public' : (role ?? 'viewer') });
      }
    }
    return out.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  }
}

/** API9: the route inventory, for admins and for the test that walks every mutating route. */
@Controller('v1/routes')
export class RoutesHttpController {
  constructor(private readonly policies: RoutePolicies) {}

  @Get()
  @RequireRole('admin')
  list(): RoutePolicy[] {
    return this.policies.routes();
  }
}
