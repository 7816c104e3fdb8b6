import { randomUUID } from 'node:crypto';
import { NatsConnection } from 'nats';
import { authHeaders, eventually, natsConnect, sql } from '../support/harness';
import { CollectedSpan, OtlpKind, startOtlpCollector } from '../support/otlp-collector';
import { startTestPlatform, TestPlatform } from '../support/platform';
import { testLayout } from '../support/test-env';

describe('traces: one onboarding is one trace across the five services (OTLP export)', () => {
  let nc: NatsConnection;
  let platform: TestPlatform;
  let collector: Awaited<ReturnType<typeof startOtlpCollector>>;
  const services = testLayout().services.map((s) => s.name);

  beforeAll(async () => {
    nc = await natsConnect();
    collector = await startOtlpCollector();
    platform = await startTestPlatform(nc, {
      portBase: 3760,
      extraEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '200' },
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await (await nc.jetstreamManager()).streams.delete(platform.messaging.stream).catch(() => undefined);
    await nc?.close();
    await collector?.close();
  });

  it('the REST order, every event hop, every job run and every vendor call share one trace with no broken parent link', async () => {
    const id = randomUUID().slice(0, 8);
    const vms = [0, 1].map((i) => ({
      biosUuid: randomUUID(),
      name: `tr-${id}-${i}`,
      osFamily: 'linux',
      address: `10.0.1.${i + 1}`,
    }));
    await fetch(`${platform.simulator.adminUrl}/sites/site-1/ksc/hosts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        hosts: vms.map((v) => ({ biosId: v.biosUuid, name: v.name, ip: v.address, osFamily: v.osFamily })),
      }),
    });
    const order = { orderId: `tr-${id}`, tenantName: `Trace ${id}`, adminAccountName: `tr-${id}`, vms };
    const res = await fetch(`${platform.url('tenant-service')}/v1/tenants`, {
      method: 'POST',
      headers: { ...(await authHeaders('admin')), 'content-type': 'application/json' },
      body: JSON.stringify(order),
    });
    expect(res.status).toBe(202);
    const tenantId = ((await res.json()) as { id: string }).id;
    await eventually(
      async () =>
        (
          (await (
            await fetch(`${platform.url('tenant-service')}/v1/tenants/${tenantId}`, {
              headers: await authHeaders('viewer'),
            })
          ).json()) as { status: string }
        ).status === 'ready',
      90_000,
      250,
    );

    const root = await eventually(
      async () =>
        collector.spans.find(
          (s) => s.service === 'tenant-service' && s.kind === OtlpKind.SERVER && s.name === 'POST /v1/tenants',
        ),
      10_000,
      100,
    );
    // The last hop (TenantReady published by tenant-service) is exported a moment after the tenant is ready.
    const inTrace = () => collector.spans.filter((s) => s.traceId === root.traceId);
    await eventually(
      async () =>
        inTrace().some(
          (s) =>
            s.kind === OtlpKind.PRODUCER &&
            String(s.attributes['messaging.destination.name']).endsWith('tenant-ready.v1'),
        ),
      10_000,
      100,
    );
    // Each service exports its spans in batches on its own schedule: a job span ended just before the
    // tenant became ready (activation's) may arrive a moment after tenant-service's last hop.
    await eventually(
      async () =>
        services.every((service) => inTrace().some((s) => s.service === service && s.name.startsWith('job '))),
      10_000,
      100,
    ).catch(() => undefined); // the assertions below say which service is missing
    // Likewise a consumer's parent, the publish span of the service that relayed the event (e.g.
    // activation's TenantActivated), may be exported after the consumer's own span.
    await eventually(
      async () => {
        const spans = inTrace();
        const ids = new Set(spans.map((s) => s.spanId));
        return spans.every((s) => !s.parentSpanId || ids.has(s.parentSpanId)) ? true : undefined;
      },
      10_000,
      100,
    ).catch(() => undefined); // the assertions below name any span whose parent never arrived
    const trace = inTrace();
    const describe = (s: CollectedSpan) => `${s.service}: ${s.name}`;

    // Every service took part, with event handling spans and job runs.
    expect(new Set(trace.map((s) => s.service))).toEqual(new Set(services));
    for (const service of services) {
      expect({
        service,
        consumed: trace.some(
          (s) => s.service === service && s.kind === OtlpKind.CONSUMER && s.name.endsWith(' process'),
        ),
      }).toEqual({ service, consumed: true });
      expect({ service, jobRun: trace.some((s) => s.service === service && s.name.startsWith('job ')) }).toEqual({
        service,
        jobRun: true,
      });
    }
    // Every vendor call of the platform happened inside this onboarding's trace (both vendor APIs),
    // except the site checks the platform runs on its own (each a trace of its own, rooted in a site-preflight span).
    const preflightTraces = new Set(
      collector.spans.filter((s) => s.name === 'site-preflight' && !s.parentSpanId).map((s) => s.traceId),
    );
    const vendorCalls = collector.spans.filter(
      (s) => s.kind === OtlpKind.CLIENT && s.attributes['tpo.vendor'] && !preflightTraces.has(s.traceId),
    );
    expect(vendorCalls.length).toBeGreaterThan(5);
    expect(vendorCalls.filter((s) => s.traceId !== root.traceId).map(describe)).toEqual([]);
    expect(new Set(vendorCalls.map((s) => s.attributes['tpo.vendor']))).toEqual(new Set(['integration-server', 'ksc']));
    // One tree: a single root (the REST request), every other span's parent is in the trace.
    const ids = new Set(trace.map((s) => s.spanId));
    expect(trace.filter((s) => !s.parentSpanId).map(describe)).toEqual([describe(root)]);
    expect(trace.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId)).map(describe)).toEqual([]);
    // Each event hop: the consumer's span is a child of the relay's publish span (context in the NATS headers).
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    for (const consumed of trace.filter((s) => s.kind === OtlpKind.CONSUMER && s.name.endsWith(' process'))) {
      expect({ span: describe(consumed), parentKind: byId.get(consumed.parentSpanId!)?.kind }).toEqual({
        span: describe(consumed),
        parentKind: OtlpKind.PRODUCER,
      });
    }
    // The context went through the job table and the outbox (rows keep it for a later run or publish).
    const job = await sql<{ trace_context: { traceparent: string } }>(
      'svm-config-service',
      `SELECT trace_context FROM job WHERE key = $1`,
      [tenantId],
    );
    expect(job[0]?.trace_context.traceparent).toContain(root.traceId);
    const outbox = await sql<{ trace_context: { traceparent: string } | null }>(
      'tenant-service',
      `SELECT trace_context FROM outbox WHERE tenant_id = $1`,
      [tenantId],
    );
    expect(outbox.length).toBeGreaterThan(0);
    for (const row of outbox) expect(row.trace_context?.traceparent).toContain(root.traceId);
  });
});
