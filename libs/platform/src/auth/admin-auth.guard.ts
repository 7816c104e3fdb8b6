import { CanActivate, ExecutionContext, HttpException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingHttpHeaders } from 'node:http';
import { Principal, PRINCIPAL_KEY, PUBLIC_KEY, Role, roleSatisfies, ROLES_KEY } from './roles';
import { SITE_SCOPED_KEY } from './site-scope';
import { AuthError, CredentialVerifier } from './tokens';

const QUERY_CREDENTIALS = ['api_key', 'apikey', 'apiKey', 'access_token', 'token', 'key'];

/** What the guard reads of a request; Fastify's (the services) and Express's (the ops console) both fit. */
export interface AdminRequest {
  method: string;
  headers: IncomingHttpHeaders;
  query?: unknown;
  [PRINCIPAL_KEY]?: Principal;
}

/** Fastify's reply and Express's response both have `header(name, value)`. */
interface HeaderSink {
  header(name: string, value: string): unknown;
}

/**
 * Every admin route: authenticated (bearer JWT or `X-API-Key`), then role-checked. GET/HEAD need
 * `viewer` unless a route says otherwise; a mutating route without an explicit role is refused
 * (secure default — the route-table test keeps it from happening). 401 = who are you; 403 = not allowed.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: CredentialVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true; // event handlers are not admin routes
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = context.switchToHttp().getRequest<AdminRequest>();
    try {
      if (QUERY_CREDENTIALS.some((k) => k in ((req.query as object | undefined) ?? {})))
        throw new AuthError(
          401,
          'credentials in the query string are refused; use the Authorization or X-API-Key header',
        );
      const principal = await this.authenticate(req);
      req[PRINCIPAL_KEY] = principal;
      const required =
        this.reflector.getAllAndOverride<Role | undefined>(ROLES_KEY, targets) ??
        (['GET', 'HEAD'].includes(req.method) ? 'viewer' : undefined);
      if (!required) throw new AuthError(403, 'this route has no role policy');
      if (!roleSatisfies(principal.roles, required)) throw new AuthError(403, `requires the ${required} role`);
      if (principal.sites && !this.reflector.getAllAndOverride<boolean>(SITE_SCOPED_KEY, targets)) {
        throw new AuthError(403, 'this route spans every site; a site-scoped principal may not use it');
      }
      return true;
    } catch (e) {
      if (!(e instanceof AuthError)) throw e;
      if (e.status === 401)
        context.switchToHttp().getResponse<HeaderSink>().header('WWW-Authenticate', 'Bearer realm="tpo-admin"');
      throw new HttpException(e.message, e.status);
    }
  }

  private async authenticate(req: AdminRequest): Promise<Principal> {
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+([A-Za-z0-9._-]+)$/.exec(header);
      if (!m) throw new AuthError(401, 'malformed Authorization header');
      return this.verifier.verifyJwt(m[1]);
    }
    const apiKey = req.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey.length > 0) return this.verifier.verifyApiKey(apiKey);
    throw new AuthError(401, 'authentication required');
  }
}

/** The authenticated caller of the current request (set by AdminAuthGuard). */
export function principalOf(req: object): Principal | undefined {
  return (req as { [PRINCIPAL_KEY]?: Principal })[PRINCIPAL_KEY];
}
