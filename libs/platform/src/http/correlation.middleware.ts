import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { RequestContext, sanitizeCorrelationId } from '../context/request-context';

export const CORRELATION_HEADER = 'x-correlation-id';

/** Carries (or starts) a correlation id for each request and echoes it back. */
export function correlationMiddleware(req: Request, res: Response, next: NextFunction): void {
  const correlationId = sanitizeCorrelationId(req.header(CORRELATION_HEADER)) ?? randomUUID();
  res.setHeader(CORRELATION_HEADER, correlationId);
  RequestContext.run({ correlationId }, () => next());
}
