import {
  Attributes,
  context,
  Context,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/** W3C trace context as stored in the outbox and job tables and sent as NATS headers. */
export type TraceCarrier = Record<string, string>;

const TRACER = 'tpo';
let enabled = false;

/** Set by initTracing; while false every helper here is a pass-through (tracing costs nothing when off). */
export function tracingEnabled(): boolean {
  return enabled;
}

export function markTracingEnabled(on: boolean): void {
  enabled = on;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Parent taken from a carrier (a NATS message's headers, a job row) instead of the active context. */
  parent?: TraceCarrier | null;
}

/**
 * Runs `fn` inside a new active span (ended when `fn` settles; an exception marks it as an error).
 * Without a configured exporter it only calls `fn`.
 */
export async function withSpan<T>(name: string, options: SpanOptions, fn: (span?: Span) => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const parent = options.parent ? extractTraceContext(options.parent) : context.active();
  return trace
    .getTracer(TRACER)
    .startActiveSpan(
      name,
      { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
      parent,
      async (span) => {
        try {
          return await fn(span);
        } catch (e) {
          span.recordException(e instanceof Error ? e : String(e));
          span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
          throw e;
        } finally {
          span.end();
        }
      },
    );
}

/** Starts a span the caller ends (e.g. an HTTP request ended on the response's `finish`). */
export function startSpan(name: string, options: SpanOptions): { span: Span; ctx: Context } | undefined {
  if (!enabled) return undefined;
  const parent = options.parent ? extractTraceContext(options.parent) : context.active();
  const span = trace
    .getTracer(TRACER)
    .startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Runs `fn` with `ctx` as the active trace context. */
export function runInContext<T>(ctx: Context | undefined, fn: () => T): T {
  return ctx ? context.with(ctx, fn) : fn();
}

/** The active trace context as W3C headers (`traceparent`, `tracestate`); undefined when off or outside a trace. */
export function currentTraceCarrier(): TraceCarrier | undefined {
  if (!enabled) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

export function extractTraceContext(carrier: TraceCarrier): Context {
  return propagation.extract(ROOT_CONTEXT, carrier);
}

export { SpanKind };
