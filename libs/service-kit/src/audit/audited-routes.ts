import { DynamicModule, ForwardReference, RequestMethod, Type, UseInterceptors } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, MODULE_METADATA } from '@nestjs/common/constants';
import { AuditInterceptor } from './audit';

type ModuleLike = Type<unknown> | DynamicModule | ForwardReference | Promise<DynamicModule> | undefined;

const READS = new Set([RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS]);

function controllersOf(root: ModuleLike): Type<unknown>[] {
  const out = new Set<Type<unknown>>();
  const seen = new Set<unknown>();
  const visit = (m: ModuleLike): void => {
    if (!m || m instanceof Promise || seen.has(m)) return;
    seen.add(m);
    if ('forwardRef' in m && typeof m.forwardRef === 'function') return visit(m.forwardRef() as ModuleLike);
    const dynamic = 'module' in m ? (m as DynamicModule) : undefined;
    const type = (dynamic?.module ?? m) as Type<unknown>;
    for (const c of [
      ...((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, type) as Type<unknown>[] | undefined) ?? []),
      ...(dynamic?.controllers ?? []),
    ])
      out.add(c);
    for (const i of [
      ...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, type) as ModuleLike[] | undefined) ?? []),
      ...((dynamic?.imports ?? []) as ModuleLike[]),
    ])
      visit(i);
  };
  visit(root);
  return [...out];
}

/** The state-changing routes of a controller: [method name, handler]. */
export function mutatingHandlers(controller: Type<unknown>): [string, object][] {
  const proto = controller.prototype as Record<string, unknown>;
  const out: [string, object][] = [];
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor') continue;
    const handler = Object.getOwnPropertyDescriptor(proto, name)?.value as object | undefined;
    if (typeof handler !== 'function') continue;
    const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
    if (method !== undefined && !READS.has(method)) out.push([name, handler]);
  }
  return out;
}

/** Whether AuditInterceptor wraps this handler (its own metadata or its controller's). */
export function isAudited(controller: Type<unknown>, handler: object): boolean {
  const on = (target: object) =>
    ((Reflect.getMetadata(INTERCEPTORS_METADATA, target) as unknown[] | undefined) ?? []).includes(AuditInterceptor);
  return on(handler) || on(controller);
}

/**
 * Puts AuditInterceptor on every state-changing route of the app's controllers, and on nothing else:
 * reads no longer pay for an interceptor that lets them through (Nest wraps every intercepted call in
 * rxjs and an AsyncResource). Must run before NestFactory.create, whose scanner registers each
 * route's interceptors as injectables of the controller's module; RoutePolicies refuses to boot with
 * a mutating route that is not audited.
 */
export function auditMutatingRoutes(module: DynamicModule): void {
  for (const controller of controllersOf(module)) {
    for (const [name, handler] of mutatingHandlers(controller)) {
      if (isAudited(controller, handler)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(controller.prototype, name) as PropertyDescriptor;
      UseInterceptors(AuditInterceptor)(controller.prototype as object, name, descriptor);
    }
  }
}
