import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { LOGGER } from '../tokens';
import { auditEntryOf, AuditRepository } from './audit';

/** Refusals worth an audit row on any route: unauthenticated, forbidden, throttled. */
const REFUSALS = new Set([401, 403, 429]);

/**
 * Records what the in-transaction audit cannot: refusals (401/403/429, from the guards, before any
 * handler runs, on every method) and failed state-changing requests (their transaction rolled
 * back). Written once the answer is sent; a failure to write is logged, never silently dropped.
 */
@Injectable()
export class AuditRefusalsMiddleware implements NestMiddleware {
  constructor(
    private readonly audit: AuditRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    if (req.path.startsWith('/health') || req.path === '/metrics') return next();
    res.once('finish', () => {
      const status = res.statusCode;
      const mutating = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
      if (!REFUSALS.has(status) && !(mutating && status >= 400)) return;
      this.audit
        .record(auditEntryOf(req, status))
        .catch((e: unknown) =>
          this.logger.error({ err: e, status, path: req.path }, 'audit row of a refused request could not be written'),
        );
    });
    next();
  }
}
