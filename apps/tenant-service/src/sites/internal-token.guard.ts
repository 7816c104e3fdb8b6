import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { SERVICE_NAMES } from '@tpo/contracts';
import { SERVICE_CONFIG } from '@tpo/platform';
import { isLoopback, serviceKeyOf, ServiceTokenError, verifyServiceToken } from '@tpo/site-directory';
import type { FastifyRequest } from 'fastify';
import { TenantServiceEnv } from '../config/tenant-service.env';

export const INTERNAL_CALLER = 'tpoInternalCaller';

/** The service that called the internal API (set by InternalTokenGuard). */
export function internalCallerOf(req: FastifyRequest): string | undefined {
  return (req as FastifyRequest & { [INTERNAL_CALLER]?: string })[INTERNAL_CALLER];
}

/**
 * The internal API (site connections with credentials, for the step services): a short-lived token
 * signed with the calling service's own key (derived from INTERNAL_API_TOKEN, which only
 * tenant-service holds), and never over plain HTTP from another host unless a service mesh is
 * declared to protect the hop (INTERNAL_API_PLAINTEXT=mesh-mtls).
 */
@Injectable()
export class InternalTokenGuard implements CanActivate {
  private readonly keys: Map<string, string>;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: TenantServiceEnv) {
    this.keys = new Map(
      SERVICE_NAMES.filter((s) => s !== 'tenant-service').map((s) => [s, serviceKeyOf(config.INTERNAL_API_TOKEN, s)]),
    );
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (
      req.protocol !== 'https' &&
      !isLoopback(req.socket.remoteAddress) &&
      this.config.INTERNAL_API_PLAINTEXT !== 'mesh-mtls'
    ) {
      throw new ForbiddenException(
        'site credentials are served over TLS only (or to loopback callers in local development)',
      );
    }
    const m = /^Bearer\s+([A-Za-z0-9._-]+)$/.exec(req.headers.authorization ?? '');
    if (!m) throw new UnauthorizedException('service token required');
    try {
      (req as FastifyRequest & { [INTERNAL_CALLER]?: string })[INTERNAL_CALLER] = await verifyServiceToken(
        m[1],
        (service) => this.keys.get(service),
      );
    } catch (e) {
      if (e instanceof ServiceTokenError) throw new UnauthorizedException(`service token refused: ${e.message}`);
      throw e;
    }
    return true;
  }
}
