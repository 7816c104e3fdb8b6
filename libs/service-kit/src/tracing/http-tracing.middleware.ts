import { runInContext, SpanKind, startSpan, TraceCarrier, tracingEnabled } from '@tpo/platform';
import { SpanStatusCode } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';

const UNTRACED = (path: string) => path === '/metrics' || path.startsWith('/health') || path.startsWith('/docs');

function carrierOf(req: Request): TraceCarrier {
  const carrier: TraceCarrier = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = req.headers[name];
    if (typeof value === 'string') carrier[name] = value;
  }
  return carrier;
}

/**
 * One SERVER span per admin request, continuing the caller's W3C trace context when it sends one;
 * named by the route template once routing has matched (`POST /v1/tenants/:id/retry`).
 */
export function httpTracingMiddleware(req: Request, res: Response, next: NextFunction): void {
  if (!tracingEnabled() || UNTRACED(req.path)) return next();
  const started = startSpan(`${req.method} ${req.path}`, {
    kind: SpanKind.SERVER,
    parent: carrierOf(req),
    attributes: { 'http.request.method': req.method, 'url.path': req.path },
  });
  if (!started) return next();
  res.once('finish', () => {
    const route = (req.route as { path?: string } | undefined)?.path;
    if (route) {
      started.span.updateName(`${req.method} ${route}`);
      started.span.setAttribute('http.route', route);
    }
    started.span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) started.span.setStatus({ code: SpanStatusCode.ERROR });
    started.span.end();
  });
  runInContext(started.ctx, next);
}
