import { initTracing, TracingShutdown } from '@tpo/platform';
import { BackbonePingModule } from '@tpo/diagnostics';
import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace';
import { SpanKind } from '@opentelemetry/api';
import { NatsConnection } from 'nats';
import {
  applyTestTopology,
  authHeaders,
  deleteStream,
  eventually,
  natsConnect,
  resetSchema,
  sql,
  startTestService,
  TestService,
} from '../support/harness';
import { isolatedMessaging } from '../support/test-env';

const A = 'tenant-service';
const B = 'svm-config-service';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** Two services in this process, spans collected in memory: the W3C context through outbox rows and NATS headers. */
describe('trace context through the outbox and NATS headers (InMemorySpanExporter)', () => {
  const messaging = isolatedMessaging();
  const exporter = new InMemorySpanExporter();
  let stopTracing: TracingShutdown | undefined;
  let nc: NatsConnection;
  let a: TestService;
  let b: TestService;

  const ping = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${a.url}/v1/backbone/pings`, {
      method: 'POST',
      headers: { ...(await authHeaders('operator')), ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ route: [B, A] }),
    });
    expect(res.status).toBe(201);
    const { pingId } = (await res.json()) as { pingId: string };
    await eventually(
      async () =>
        (await sql(A, `SELECT 1 FROM backbone_ping_hop WHERE ping_id = $1 AND hop = 1`, [pingId])).length === 1,
      20_000,
      50,
    );
    return pingId;
  };

  beforeAll(async () => {
    nc = await natsConnect();
    for (const s of [A, B]) await resetSchema(s);
    await applyTestTopology(nc, messaging, { [A]: ['backbone-ping.v1'], [B]: ['backbone-ping.v1'] });
  });

  afterAll(async () => {
    await stopTracing?.();
    await deleteStream(nc, messaging);
    await nc?.close();
  });

  const start = async () => {
    a = await startTestService({ service: A, messaging, imports: [BackbonePingModule.forService(A)] });
    b = await startTestService({ service: B, messaging, imports: [BackbonePingModule.forService(B)] });
  };
  const stop = async () => {
    await a?.close();
    await b?.close();
  };

  it("a request's trace continues through each outbox row, publish and consumer, in both services", async () => {
    stopTracing = initTracing({ service: 'test', exporter });
    await start();
    try {
      // The caller's own trace context is continued (W3C traceparent on the request).
      const pingId = await ping({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` });
      const spans = await eventually(
        async () => {
          const all = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === TRACE_ID);
          return all.filter((s) => s.kind === SpanKind.CONSUMER).length >= 2 ? all : undefined;
        },
        10_000,
        50,
      );
      const name = (s: ReadableSpan) => `${s.kind}:${s.name}`;
      const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
      expect(server.name).toBe('POST /v1/backbone/pings');
      expect(server.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
      const publishes = spans.filter((s) => s.kind === SpanKind.PRODUCER);
      const consumers = spans.filter((s) => s.kind === SpanKind.CONSUMER);
      expect(publishes.length).toBeGreaterThanOrEqual(2);
      expect(consumers.map((s) => s.attributes['tpo.service']).sort()).toEqual(expect.arrayContaining([A, B]));
      // Chain: request -> publish (A's relay) -> process (B) -> publish (B's relay) -> process (A).
      const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
      for (const c of consumers) expect(byId.get(c.parentSpanContext!.spanId)?.kind).toBe(SpanKind.PRODUCER);
      const first = publishes.find((p) => p.parentSpanContext?.spanId === server.spanContext().spanId);
      expect(first && name(first)).toMatch(/backbone-ping\.v1 publish$/);
      // The outbox rows keep the context the relay sent as headers.
      const rows = await sql<{ trace_context: { traceparent: string } }>(
        A,
        `SELECT trace_context FROM outbox WHERE envelope->'data'->>'pingId' = $1`,
        [pingId],
      );
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect(r.trace_context.traceparent).toContain(TRACE_ID);
    } finally {
      await stop();
      await stopTracing?.();
      stopTracing = undefined;
    }
  });

  it('with tracing off (no endpoint), nothing is recorded: no spans, no trace context in rows or headers', async () => {
    exporter.reset();
    await start();
    try {
      const pingId = await ping({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` });
      const rows = await sql<{ trace_context: unknown }>(
        A,
        `SELECT trace_context FROM outbox WHERE envelope->'data'->>'pingId' = $1`,
        [pingId],
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((r) => r.trace_context)).toEqual(rows.map(() => null));
      const jsm = await nc.jetstreamManager();
      const last = await jsm.streams.getMessage(messaging.stream, {
        last_by_subj: `${messaging.prefix}.evt.backbone-ping.v1`,
      });
      expect(last.header?.get('traceparent') ?? '').toBe('');
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      await stop();
    }
  });
});
