import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { markTracingEnabled } from './tracing';

export interface TracingSettings {
  service: string;
  /** OTLP/HTTP base URL (e.g. http://collector:4318); `/v1/traces` is appended. Off when absent. */
  otlpEndpoint?: string;
  /** How often batched spans are exported (OTEL_BSP_SCHEDULE_DELAY). */
  exportDelayMs?: number;
  /** Instead of OTLP (tests): where spans go; exported one by one. */
  exporter?: SpanExporter;
}

/** Flushes and stops the exporter (called on shutdown). */
export type TracingShutdown = () => Promise<void>;

/**
 * Installs the tracer provider once per process when an endpoint (or an exporter) is configured:
 * W3C trace-context propagation, AsyncLocalStorage context, batched OTLP/HTTP export with the
 * service name as resource. Without one nothing is installed and the tracing helpers stay no-ops.
 */
export function initTracing(settings: TracingSettings): TracingShutdown {
  if (!settings.otlpEndpoint && !settings.exporter) return async () => undefined;
  const processor = settings.exporter
    ? new SimpleSpanProcessor({ exporter: settings.exporter })
    : new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${settings.otlpEndpoint!.replace(/\/+$/, '')}/v1/traces` }),
        scheduledDelayMillis: settings.exportDelayMs,
      });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.service }),
    spanProcessors: [processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  markTracingEnabled(true);
  return async () => {
    markTracingEnabled(false);
    await provider.shutdown().catch(() => undefined);
    trace.disable();
    propagation.disable();
    context.disable();
  };
}
