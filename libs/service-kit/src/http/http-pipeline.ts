import { randomUUID } from 'node:crypto';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  CORRELATION_HEADER,
  RequestContext,
  RequestContextData,
  runInContext,
  sanitizeCorrelationId,
  SpanKind,
  startSpan,
  TraceCarrier,
  tracingEnabled,
} from '@tpo/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Level, Logger } from 'pino';
import type { SecurityHeaders } from '../openapi/api-docs.setup';

/** What the pipeline keeps on each request (set in onRequest, read by the later hooks). */
interface PipelineState {
  path: string;
  ctx: RequestContextData;
  started: number;
  reply: FastifyReply;
  span?: ReturnType<typeof startSpan>;
  answered?: true;
}
const STATE = Symbol('tpoPipeline');
type PipelineRequest = FastifyRequest & { [STATE]?: PipelineState };

const isProbe = (path: string) => path === '/metrics' || path.startsWith('/health');
const UNTRACED = (path: string) => isProbe(path) || path.startsWith('/docs');

/** The request's path without its query string. */
export function pathOf(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q === -1 ? req.url : req.url.slice(0, q);
}

/** The route template that answered (`/v1/tenants/:id`), else the path (404s). */
export function routeOf(req: FastifyRequest): string {
  return req.routeOptions?.url ?? pathOf(req);
}

/** The correlation context the pipeline opened for this request (hooks that run outside it read it here). */
export function requestContextOf(req: FastifyRequest): RequestContextData | undefined {
  return (req as PipelineRequest)[STATE]?.ctx;
}

/**
 * Reads are the hot path (dashboards, pollers): debug. Changes stay at info (they are audited too);
 * client errors warn, server errors error.
 */
export function accessLogLevel(method: string, status: number): Level {
  if (status >= 500) return 'error';
  if (status >= 400) return 'warn';
  return method === 'GET' || method === 'HEAD' ? 'debug' : 'info';
}

export interface HttpPipelineOptions {
  logger: Logger;
  securityHeaders: SecurityHeaders;
  /** Called once each answer is sent (e.g. the audit of refusals); never throws into the server. */
  onAnswered?: (req: FastifyRequest, status: number) => void;
}

/**
 * The per-request work every service's HTTP server does around Nest's routing, as Fastify hooks
 * (no middleware layer): a correlation id (carried or started, echoed back) as the request's context;
 * the security headers; one SERVER span per admin request, continuing the caller's W3C trace context
 * and named by the route template; one access-log line per answer (`{req: {method, url}, res:
 * {statusCode}, responseTime}`, "request completed" / "request errored"; bodies and headers never
 * logged) built only when its level is enabled; and `onAnswered` (the audit of refusals).
 */
export function installHttpPipeline(app: FastifyInstance, options: HttpPipelineOptions): void {
  const { logger, securityHeaders, onAnswered } = options;

  app.addHook('onRequest', (request, reply, done) => {
    const req = request as PipelineRequest;
    const path = pathOf(req);
    const correlationId = sanitizeCorrelationId(req.headers[CORRELATION_HEADER]) ?? randomUUID();
    void reply.header(CORRELATION_HEADER, correlationId);
    securityHeaders(path, reply);
    const state: PipelineState = { path, ctx: { correlationId }, started: Date.now(), reply };
    if (tracingEnabled() && !UNTRACED(path)) {
      state.span = startSpan(`${req.method} ${path}`, {
        kind: SpanKind.SERVER,
        parent: carrierOf(req),
        attributes: { 'http.request.method': req.method, 'url.path': path },
      });
    }
    req[STATE] = state;
    RequestContext.run(state.ctx, () => runInContext(state.span?.ctx, done));
  });

  // A body is read from socket events, outside the context opened above: enter it again (once the
  // body is there) so that guards, handlers and their repositories run in it.
  app.addHook('preHandler', (request, _reply, done) => {
    const state = (request as PipelineRequest)[STATE];
    if (!state || RequestContext.current() === state.ctx) return done();
    RequestContext.run(state.ctx, () => runInContext(state.span?.ctx, done));
  });

  app.addHook('onResponse', (request, _reply, done) => {
    answered(request as PipelineRequest, false);
    done();
  });

  // The client went away before the answer was sent: the line says so (onResponse may not come).
  app.addHook('onRequestAbort', (request, done) => {
    answered(request as PipelineRequest, true);
    done();
  });

  function answered(req: PipelineRequest, aborted: boolean) {
    const state = req[STATE];
    if (!state || state.answered) return;
    state.answered = true;
    const status = state.reply.statusCode;
    if (state.span) {
      const { span } = state.span;
      const route = req.routeOptions?.url;
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      state.span = undefined;
    }
    if (isProbe(state.path)) return;
    onAnswered?.(req, status);
    const level = accessLogLevel(req.method, status);
    if (!logger.isLevelEnabled(level)) return;
    RequestContext.run(state.ctx, () =>
      logger[level](
        {
          req: { method: req.method, url: req.url },
          res: { statusCode: status },
          responseTime: Date.now() - state.started,
          ...(aborted ? { aborted: true } : {}),
        },
        status >= 500 ? 'request errored' : 'request completed',
      ),
    );
  }
}

function carrierOf(req: FastifyRequest): TraceCarrier {
  const carrier: TraceCarrier = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = req.headers[name];
    if (typeof value === 'string') carrier[name] = value;
  }
  return carrier;
}
