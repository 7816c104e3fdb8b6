import { randomUUID } from 'node:crypto';
import { NatsConnection } from 'nats';
import { authHeaders, eventually, natsConnect } from '../support/harness';
import { startTestPlatform, TestPlatform } from '../support/platform';
import { freePortBase } from '../support/ports';

type Report = { id: string; tenantId: string; siteId: string; status: string; trigger: string; rows: number | null; protectedVms: number | null; bytesTotal: number | null; sha256: string | null; periodFrom: string; periodTo: string };

/** Issue 10 (5): protection reports per tenant, scheduled and on demand, with the platform's processes and the simulator. */
describe('issue 10: protection reports (real Postgres + NATS + simulator)', () => {
  let nc: NatsConnection;
  let platform: TestPlatform;
  let tenant: { id: string; name: string; isTenantId: string };
  const marker = `billing-marker-${randomUUID().slice(0, 8)}`;
  const url = (service: string, path: string) => `${platform.url(service)}${path}`;
  const post = async (service: string, path: string, body: unknown, role: 'admin' | 'operator' | 'viewer' = 'operator') =>
    fetch(url(service, path), { method: 'POST', headers: { ...(await authHeaders(role)), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const get = async (service: string, path: string, role: 'admin' | 'operator' | 'viewer' = 'viewer') => fetch(url(service, path), { headers: await authHeaders(role) });
  const sim = (path: string, body?: unknown) =>
    fetch(`${platform.simulator.adminUrl}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    nc = await natsConnect();
    platform = await startTestPlatform(nc, {
      portBase: await freePortBase(),
      // Hourly periods reported as soon as they end, rounds every second, small ranges (several per report).
      extraEnv: { REPORT_SCHEDULE_INTERVAL_MS: '1000', REPORT_PERIOD_SECONDS: '3600', REPORT_SETTLE_SECONDS: '0', REPORT_CHUNK_BYTES: '256' },
    });
    const id = randomUUID().slice(0, 8);
    const order = { orderId: `rep-${id}`, tenantName: `Reports ${id}`, adminAccountName: `rep-${id}`, vms: [1, 2].map((n) => ({ biosUuid: randomUUID(), name: `rep-${id}-${n}`, osFamily: 'linux', address: `10.0.1.${n}` })) };
    await sim('/sites/site-1/ksc/hosts', { hosts: order.vms.map((v) => ({ biosId: v.biosUuid, name: v.name })) });
    const created = (await (await post('tenant-service', '/v1/tenants', order, 'admin')).json()) as { id: string };
    await eventually(async () => ((await (await get('tenant-service', `/v1/tenants/${created.id}`)).json()) as { status: string }).status === 'ready', 120_000, 250);
    const state = (await (await sim('/sites/site-1/state')).json()) as { integrationServer: { tenants: { id: string; name: string }[] } };
    tenant = { id: created.id, name: order.tenantName, isTenantId: state.integrationServer.tenants.find((t) => t.name === order.tenantName)!.id };
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    await (await nc.jetstreamManager()).streams.delete(platform.messaging.stream).catch(() => undefined);
    await nc?.close();
  });

  it('scheduled: each activated tenant gets one report of the latest closed period, whatever the number of rounds', async () => {
    const scheduled = await eventually(async () => {
      const page = (await (await get('activation-service', `/v1/reports?tenantId=${tenant.id}&limit=100`)).json()) as { items: Report[] };
      const s = page.items.filter((r) => r.trigger === 'schedule');
      return s.length > 0 && s.every((r) => r.status === 'ready') ? s : undefined;
    }, 60_000, 250);
    const hour = 3_600_000;
    const end = Math.floor(Date.now() / hour) * hour;
    expect(scheduled.map((r) => r.periodTo)).toContain(new Date(end).toISOString());
    await new Promise((r) => setTimeout(r, 2500)); // more rounds
    const after = (await (await get('activation-service', `/v1/reports?tenantId=${tenant.id}&limit=100`)).json()) as { items: Report[] };
    const periods = after.items.filter((r) => r.trigger === 'schedule').map((r) => r.periodTo);
    expect(new Set(periods).size).toBe(periods.length);
  }, 90_000);

  it('on demand: generated, downloaded in ranges, stored, listed and announced; the content never travels on the bus', async () => {
    // Earlier protection periods of the tenant, as its SVMs reported them: a report of several KB.
    const from = new Date(Date.now() - 30 * 60_000);
    const periods = Array.from({ length: 40 }, (_, i) => ({ biosId: randomUUID(), vmName: `${marker}-${i}`, tenantId: tenant.isTenantId, from: new Date(from.getTime() + i * 1000).toISOString(), to: new Date(from.getTime() + 600_000).toISOString() }));
    expect((await sim('/sites/site-1/is/protection-periods', { periods })).status).toBe(201);
    await fetch(`${platform.simulator.adminUrl}/sites/site-1/counters`, { method: 'DELETE' });

    await new Promise((r) => setTimeout(r, 1500)); // the activated VMs' periods began at least a second before the period's end
    // A viewer may not ask for one; an operator may.
    expect((await post('activation-service', `/v1/tenants/${tenant.id}/reports`, {}, 'viewer')).status).toBe(403);
    const asked = await post('activation-service', `/v1/tenants/${tenant.id}/reports`, { from: new Date(from.getTime() - 60_000).toISOString(), to: new Date().toISOString() });
    expect(asked.status).toBe(202);
    const { id } = (await asked.json()) as Report;
    const ready = await eventually(async () => {
      const r = (await (await get('activation-service', `/v1/reports/${id}`)).json()) as Report;
      return r.status === 'ready' ? r : undefined;
    }, 60_000, 200);
    expect(ready).toMatchObject({ tenantId: tenant.id, siteId: 'site-1', trigger: 'on-demand', rows: expect.any(Number), protectedVms: 42 });
    expect(ready.rows).toBeGreaterThanOrEqual(42);

    // Several range requests, one generation.
    const counters = (await (await sim('/sites/site-1/counters')).json()) as Record<string, number>;
    expect(counters.CreateTenantReport).toBe(1);
    expect(counters.DownloadReport).toBe(Math.ceil(ready.bytesTotal! / 256));

    // The content: operator only, the vendor's CSV as it was written.
    expect((await get('activation-service', `/v1/reports/${id}/content`, 'viewer')).status).toBe(403);
    const content = await get('activation-service', `/v1/reports/${id}/content`, 'operator');
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toContain('text/csv');
    const csv = await content.text();
    expect(csv).toContain(`${marker}-39`);
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(ready.rows!);
    expect(Buffer.byteLength(csv)).toBe(ready.bytesTotal);

    // Listed (a viewer sees figures), filtered by tenant.
    const page = (await (await get('activation-service', `/v1/reports?tenantId=${tenant.id}`)).json()) as { items: Report[]; total: number };
    expect(page.items.map((r) => r.id)).toContain(id);

    // Announced with figures only; nothing of the content is on the bus.
    const messages = await eventually(async () => {
      const all = await platform.streamMessages();
      return all.some((m) => m.envelope?.type === 'com.tpo.protection-report-ready.v1' && (m.envelope.data as { reportId: string }).reportId === id) ? all : undefined;
    }, 20_000, 200);
    const event = messages.find((m) => (m.envelope?.data as { reportId?: string } | undefined)?.reportId === id)!;
    expect(event.envelope!.data).toEqual({ reportId: id, tenantId: tenant.id, siteId: 'site-1', periodFrom: ready.periodFrom, periodTo: ready.periodTo, trigger: 'on-demand', rows: ready.rows, protectedVms: 42, bytes: ready.bytesTotal, sha256: ready.sha256 });
    for (const m of messages) {
      expect(m.raw).not.toContain(marker);
      for (const p of periods.slice(0, 5)) expect(m.raw).not.toContain(p.biosId);
    }

    // Asking again for the same period gives the same report, no new generation.
    const again = (await (await post('activation-service', `/v1/tenants/${tenant.id}/reports`, { from: new Date(from.getTime() - 60_000).toISOString(), to: ready.periodTo })).json()) as Report;
    expect(again.id).toBe(id);
  }, 120_000);

  it('a site-scoped caller sees no report of another site', async () => {
    const scoped = { headers: await authHeaders('admin', { sites: ['site-2'] }) };
    const page = (await (await fetch(url('activation-service', '/v1/reports'), scoped)).json()) as { items: Report[] };
    expect(page.items).toEqual([]);
    const [any] = ((await (await get('activation-service', `/v1/reports?tenantId=${tenant.id}`)).json()) as { items: Report[] }).items;
    expect((await fetch(url('activation-service', `/v1/reports/${any.id}`), scoped)).status).toBe(404);
    expect((await fetch(url('activation-service', `/v1/tenants/${tenant.id}/reports`), { method: 'POST', headers: { ...scoped.headers, 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
  });
});
