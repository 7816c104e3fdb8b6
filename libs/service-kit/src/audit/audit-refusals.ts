import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { LOGGER } from '../tokens';
import { auditEntryOf, AuditRepository } from './audit';

/** Refusals worth an audit row on any route: unauthenticated, forbidden, throttled. */
const REFUSALS = new Set([401, 403, 429]);

/**
 * Records what the in-transaction audit cannot: refusals (401/403/429, from the guards, before any
 * handler runs, on every method) and failed state-changing requests (their transaction rolled
 * back). Called by the HTTP pipeline once the answer is sent (never for health probes or metrics);
 * a failure to write is logged, never silently dropped.
 */
@Injectable()
export class AuditRefusals {
  constructor(
    private readonly audit: AuditRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  answered(req: FastifyRequest, status: number): void {
    const mutating = req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS';
    if (!REFUSALS.has(status) && !(mutating && status >= 400)) return;
    this.audit
      .record(auditEntryOf(req, status))
      .catch((e: unknown) =>
        this.logger.error({ err: e, status, path: req.url }, 'audit row of a refused request could not be written'),
      );
  }
}
