import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { SERVICE_CONFIG } from '@tpo/service-kit';
import type { Request } from 'express';
import { TenantServiceEnv } from '../config/tenant-service.env';

/** The internal API (site connections for the other services) takes the shared service token. */
@Injectable()
export class InternalTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(SERVICE_CONFIG) config: TenantServiceEnv) {
    this.expected = Buffer.from(`Bearer ${config.INTERNAL_API_TOKEN}`);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = Buffer.from(context.switchToHttp().getRequest<Request>().headers.authorization ?? '');
    if (header.length !== this.expected.length || !timingSafeEqual(header, this.expected)) throw new UnauthorizedException('service token required');
    return true;
  }
}
