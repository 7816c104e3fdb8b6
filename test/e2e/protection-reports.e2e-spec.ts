import { randomUUID } from 'node:crypto';
import { NatsConnection } from 'nats';
import { authHeaders, eventually, natsConnect } from '../support/harness';
import { startTestPlatform, TestPlatform } from '../support/platform';
import { freePortBase } from '../support/ports';

type Report = {
  id: string;
  tenantId: string;
  siteId: string;
  status: string;
  trigger: string;
  rows: number | null;
  protectedVms: number | null;
  bytesTotal: number | null;
  sha256: string | null;
  periodFrom: string;
  periodTo: string;
};

/** Issue 10 (5): protection reports per tenant, scheduled and on demand, with the platform's processes and the simulator. */
describe('issue 10: protection reports and licence monitoring (real Postgres + NATS + simulator)', () => {
  let nc: NatsConnection;
  let platform: TestPlatform;
  let tenant: { id: string; name: string; isTenantId: string };
  const marker = `billing-marker-${randomUUID().slice(0, 8)}`;
  const url = (service: string, path: string) => `${platform.url(service)}${path}`;
  const post = async (
    service: string,
    path: string,
    body: unknown,
    role: 'admin' | 'operator' | 'viewer' = 'operator',
  ) =>
    fetch(url(service, path), {
      method: 'POST',
      headers: { ...(await authHeaders(role)), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const get = async (service: string, path: string, role: 'admin' | 'operator' | 'viewer' = 'viewer') =>
    fetch(url(service, path), { headers: await authHeaders(role) });
  const sim = (path: string, body?: unknown, method = 'POST') =>
    fetch(
      `${platform.simulator.adminUrl}${path}`,
      body === undefined && method === 'POST'
        ? {}
        : {
            method,
            headers: { 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
          },
    );
  const events = async (type: string) =>
    (await platform.streamMessages())
      .filter((m) => m.envelope?.type === `com.tpo.${type}`)
      .map((m) => m.envelope!.data as Record<string, unknown>);
  const orderOf = (tag: string, vms = 1) => {
    const id = randomUUID().slice(0, 8);
    return {
      orderId: `${tag}-${id}`,
      tenantName: `${tag} ${id}`,
      adminAccountName: `${tag}-${id}`,
      vms: Array.from({ length: vms }, (_, n) => ({
        biosUuid: randomUUID(),
        name: `${tag}-${id}-${n}`,
        osFamily: 'linux',
        address: `10.0.2.${n + 1}`,
      })),
    };
  };

  beforeAll(async () => {
    nc = await natsConnect();
    platform = await startTestPlatform(nc, {
      portBase: await freePortBase(),
      // Hourly periods reported as soon as they end, rounds every second, small ranges (several per report).
      // Licence rounds every second, keys read live at every activation, horizons 30 and 7 days.
      extraEnv: {
        REPORT_SCHEDULE_INTERVAL_MS: '1000',
        REPORT_PERIOD_SECONDS: '3600',
        REPORT_SETTLE_SECONDS: '0',
        REPORT_CHUNK_BYTES: '256',
        LICENSE_MONITOR_INTERVAL_MS: '1000',
        LICENSE_KEYS_CACHE_MS: '0',
        LICENSE_EXPIRY_HORIZONS_DAYS: '30,7',
      },
    });
    const id = randomUUID().slice(0, 8);
    const order = {
      orderId: `rep-${id}`,
      tenantName: `Reports ${id}`,
      adminAccountName: `rep-${id}`,
      vms: [1, 2].map((n) => ({
        biosUuid: randomUUID(),
        name: `rep-${id}-${n}`,
        osFamily: 'linux',
        address: `10.0.1.${n}`,
      })),
    };
    await sim('/sites/site-1/ksc/hosts', {
      hosts: order.vms.map((v) => ({ biosId: v.biosUuid, name: v.name, ip: v.address, osFamily: v.osFamily })),
    });
    const created = (await (await post('tenant-service', '/v1/tenants', order, 'admin')).json()) as { id: string };
    await eventually(
      async () =>
        ((await (await get('tenant-service', `/v1/tenants/${created.id}`)).json()) as { status: string }).status ===
        'ready',
      120_000,
      250,
    );
    const state = (await (await sim('/sites/site-1/state')).json()) as {
      integrationServer: { tenants: { id: string; name: string }[] };
    };
    tenant = {
      id: created.id,
      name: order.tenantName,
      isTenantId: state.integrationServer.tenants.find((t) => t.name === order.tenantName)!.id,
    };
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    await (await nc.jetstreamManager()).streams.delete(platform.messaging.stream).catch(() => undefined);
    await nc?.close();
  });

  it('scheduled: each activated tenant gets one report of the latest closed period, whatever the number of rounds', async () => {
    const scheduled = await eventually(
      async () => {
        const page = (await (
          await get('activation-service', `/v1/reports?tenantId=${tenant.id}&limit=100`)
        ).json()) as { items: Report[] };
        const s = page.items.filter((r) => r.trigger === 'schedule');
        return s.length > 0 && s.every((r) => r.status === 'ready') ? s : undefined;
      },
      60_000,
      250,
    );
    const hour = 3_600_000;
    const end = Math.floor(Date.now() / hour) * hour;
    expect(scheduled.map((r) => r.periodTo)).toContain(new Date(end).toISOString());
    await new Promise((r) => setTimeout(r, 2500)); // more rounds
    const after = (await (await get('activation-service', `/v1/reports?tenantId=${tenant.id}&limit=100`)).json()) as {
      items: Report[];
    };
    const periods = after.items.filter((r) => r.trigger === 'schedule').map((r) => r.periodTo);
    expect(new Set(periods).size).toBe(periods.length);
  }, 90_000);

  it('on demand: generated, downloaded in ranges, stored, listed and announced; the content never travels on the bus', async () => {
    // Earlier protection periods of the tenant, as its SVMs reported them: a report of several KB.
    const from = new Date(Date.now() - 30 * 60_000);
    const periods = Array.from({ length: 40 }, (_, i) => ({
      biosId: randomUUID(),
      vmName: `${marker}-${i}`,
      tenantId: tenant.isTenantId,
      from: new Date(from.getTime() + i * 1000).toISOString(),
      to: new Date(from.getTime() + 600_000).toISOString(),
    }));
    expect((await sim('/sites/site-1/is/protection-periods', { periods })).status).toBe(201);
    await fetch(`${platform.simulator.adminUrl}/sites/site-1/counters`, { method: 'DELETE' });

    await new Promise((r) => setTimeout(r, 1500)); // the activated VMs' periods began at least a second before the period's end
    // A viewer may not ask for one; an operator may.
    expect((await post('activation-service', `/v1/tenants/${tenant.id}/reports`, {}, 'viewer')).status).toBe(403);
    const asked = await post('activation-service', `/v1/tenants/${tenant.id}/reports`, {
      from: new Date(from.getTime() - 60_000).toISOString(),
      to: new Date().toISOString(),
    });
    expect(asked.status).toBe(202);
    const { id } = (await asked.json()) as Report;
    const ready = await eventually(
      async () => {
        const r = (await (await get('activation-service', `/v1/reports/${id}`)).json()) as Report;
        return r.status === 'ready' ? r : undefined;
      },
      60_000,
      200,
    );
    expect(ready).toMatchObject({
      tenantId: tenant.id,
      siteId: 'site-1',
      trigger: 'on-demand',
      rows: expect.any(Number),
      protectedVms: 42,
    });
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
    const page = (await (await get('activation-service', `/v1/reports?tenantId=${tenant.id}`)).json()) as {
      items: Report[];
      total: number;
    };
    expect(page.items.map((r) => r.id)).toContain(id);

    // Announced with figures only; nothing of the content is on the bus.
    const messages = await eventually(
      async () => {
        const all = await platform.streamMessages();
        return all.some(
          (m) =>
            m.envelope?.type === 'com.tpo.protection-report-ready.v1' &&
            (m.envelope.data as { reportId: string }).reportId === id,
        )
          ? all
          : undefined;
      },
      20_000,
      200,
    );
    const event = messages.find((m) => (m.envelope?.data as { reportId?: string } | undefined)?.reportId === id)!;
    expect(event.envelope!.data).toEqual({
      reportId: id,
      tenantId: tenant.id,
      siteId: 'site-1',
      periodFrom: ready.periodFrom,
      periodTo: ready.periodTo,
      trigger: 'on-demand',
      rows: ready.rows,
      protectedVms: 42,
      bytes: ready.bytesTotal,
      sha256: ready.sha256,
    });
    for (const m of messages) {
      expect(m.raw).not.toContain(marker);
      for (const p of periods.slice(0, 5)) expect(m.raw).not.toContain(p.biosId);
    }

    // Asking again for the same period gives the same report, no new generation.
    const again = (await (
      await post('activation-service', `/v1/tenants/${tenant.id}/reports`, {
        from: new Date(from.getTime() - 60_000).toISOString(),
        to: ready.periodTo,
      })
    ).json()) as Report;
    expect(again.id).toBe(id);
  }, 120_000);

  it('faults at the report steps: a failed CreateTenantReport task and a failing download are retried until the report is ready', async () => {
    await fetch(`${platform.simulator.adminUrl}/sites/site-1/counters`, { method: 'DELETE' });
    expect(
      (
        await sim(
          '/sites/site-1/faults',
          {
            taskFailures: { CreateTenantReport: { code: 'VIRMT_InternalError', message: 'injected', remaining: 1 } },
            failNext: { remaining: 4, status: 503, methods: ['DownloadReport'] },
          },
          'PATCH',
        )
      ).status,
    ).toBe(200);
    const to = new Date(Date.now() - 1000);
    const asked = await post('activation-service', `/v1/tenants/${tenant.id}/reports`, {
      from: new Date(to.getTime() - 120_000).toISOString(),
      to: to.toISOString(),
    });
    const { id } = (await asked.json()) as Report;
    const ready = await eventually(
      async () => {
        const r = (await (await get('activation-service', `/v1/reports/${id}`)).json()) as Report & {
          errorCode: string | null;
        };
        return r.status === 'ready' ? r : undefined;
      },
      60_000,
      200,
    );
    const counters = (await (await sim('/sites/site-1/counters')).json()) as Record<string, number>;
    expect(counters.CreateTenantReport).toBe(2); // the failed task, then a new one
    expect(counters.DownloadReport).toBeGreaterThan(Math.ceil(ready.bytesTotal! / 256)); // the refused ranges were asked again
    expect((await get('activation-service', `/v1/reports/${id}/content`, 'operator')).status).toBe(200);
  }, 90_000);

  it('a site-scoped caller sees no report of another site', async () => {
    const scoped = { headers: await authHeaders('admin', { sites: ['site-2'] }) };
    const page = (await (await fetch(url('activation-service', '/v1/reports'), scoped)).json()) as { items: Report[] };
    expect(page.items).toEqual([]);
    const [any] = (
      (await (await get('activation-service', `/v1/reports?tenantId=${tenant.id}`)).json()) as { items: Report[] }
    ).items;
    expect((await fetch(url('activation-service', `/v1/reports/${any.id}`), scoped)).status).toBe(404);
    expect(
      (
        await fetch(url('activation-service', `/v1/tenants/${tenant.id}/reports`), {
          method: 'POST',
          headers: { ...scoped.headers, 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(404);
  });

  it('licence expiring: LicenseExpiring once per key and horizon crossed, not at every round', async () => {
    const day = 86_400_000;
    const install = await sim('/sites/site-1/ksc/license-keys', {
      serial: 'EXPI-000001-00000001',
      productName: 'Kaspersky Security for Virtualization Light Agent',
      licCount: 1000,
      limitDate: new Date(Date.now() + 20 * day).toISOString(),
    });
    expect(install.status).toBe(201);
    const first = await eventually(
      async () => {
        const e = (await events('license-expiring.v1')).filter((d) => d.keySerial === 'EXPI-000001-00000001');
        return e.length > 0 ? e : undefined;
      },
      20_000,
      250,
    );
    expect(first).toEqual([
      expect.objectContaining({ siteId: 'site-1', horizonDays: 30, daysLeft: 19, licensedCount: 1000 }),
    ]);
    await new Promise((r) => setTimeout(r, 3000)); // three more rounds: nothing new
    expect((await events('license-expiring.v1')).filter((d) => d.keySerial === 'EXPI-000001-00000001')).toHaveLength(1);
    // Closer: the 7-day horizon is crossed, one more alert.
    expect(
      (
        await sim(
          '/sites/site-1/ksc/license-keys/EXPI-000001-00000001',
          { limitDate: new Date(Date.now() + 3 * day).toISOString() },
          'PATCH',
        )
      ).status,
    ).toBe(200);
    const second = await eventually(
      async () => {
        const e = (await events('license-expiring.v1')).filter((d) => d.keySerial === 'EXPI-000001-00000001');
        return e.length === 2 ? e : undefined;
      },
      20_000,
      250,
    );
    expect(second[1]).toMatchObject({ horizonDays: 7, daysLeft: 2 });
    // The seeded key (a year left) raised nothing.
    expect((await events('license-expiring.v1')).filter((d) => d.keySerial !== 'EXPI-000001-00000001')).toEqual([]);
  }, 60_000);

  it('two concurrent activations with one licence left (live keys): exactly one passes; the monitor then reports the limit once', async () => {
    const usage = (await (await get('activation-service', '/v1/activations/license-usage')).json()) as {
      items: { siteId: string; usedVms: number }[];
    };
    const used = usage.items.find((u) => u.siteId === 'site-1')?.usedVms ?? 0;
    expect(used).toBeGreaterThan(0);
    // The main server's keys: one key with room for exactly one more VM.
    expect((await sim('/sites/site-1/ksc/license-keys', undefined, 'DELETE')).status).toBe(204);
    expect(
      (
        await sim('/sites/site-1/ksc/license-keys', {
          serial: 'LAST-000001-00000001',
          productName: 'Kaspersky Security for Virtualization Light Agent',
          licCount: used + 1,
        })
      ).status,
    ).toBe(201);
    const orders = [orderOf('lic'), orderOf('lic')];
    await sim('/sites/site-1/ksc/hosts', {
      hosts: orders.flatMap((o) =>
        o.vms.map((v) => ({ biosId: v.biosUuid, name: v.name, ip: v.address, osFamily: v.osFamily })),
      ),
    });
    const ids = await Promise.all(
      orders.map(
        async (o) => ((await (await post('tenant-service', '/v1/tenants', o, 'admin')).json()) as { id: string }).id,
      ),
    );
    const outcomes = await eventually(
      async () => {
        const steps = await Promise.all(
          ids.map(
            async (id) =>
              (await (await get('activation-service', `/v1/activations/${id}`)).json()) as {
                status?: string;
                errorCode?: string | null;
              },
          ),
        );
        return steps.every((st) => st.status === 'succeeded' || st.status === 'failed') ? steps : undefined;
      },
      120_000,
      250,
    );
    expect(outcomes.map((o) => o.status).sort()).toEqual(['failed', 'succeeded']);
    expect(outcomes.find((o) => o.status === 'failed')!.errorCode).toBe('LICENSE_CAPACITY_EXCEEDED');
    const isTenants = (
      (await (await sim('/sites/site-1/state')).json()) as {
        integrationServer: { tenants: { name: string; status: string }[] };
      }
    ).integrationServer.tenants;
    expect(orders.map((o) => isTenants.find((t) => t.name === o.tenantName)?.status).sort()).toEqual([
      'Active',
      'Inactive',
    ]);
    // The site is now at its limit: one LicenseLimitReached v2 from the monitor, however many rounds run.
    const alert = await eventually(
      async () => {
        const e = (await events('license-limit-reached.v2')).filter((d) => d.source === 'monitor');
        return e.length > 0 ? e : undefined;
      },
      20_000,
      250,
    );
    // Usage is the larger of the platform's activations and the latest reports' protected VMs.
    expect(alert).toEqual([expect.objectContaining({ siteId: 'site-1', licensedVms: used + 1 })]);
    expect(alert[0].usedVms as number).toBeGreaterThanOrEqual(used + 1);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await events('license-limit-reached.v2')).filter((d) => d.source === 'monitor')).toHaveLength(1);
  }, 180_000);

  it('add-VMs takes licences under the same lock: with the site at its limit, adding a VM is held with LICENSE_CAPACITY_EXCEEDED', async () => {
    const vm = {
      biosUuid: randomUUID(),
      name: `rep-add-${randomUUID().slice(0, 6)}`,
      osFamily: 'linux',
      address: '10.0.3.1',
    };
    await sim('/sites/site-1/ksc/hosts', {
      hosts: [{ biosId: vm.biosUuid, name: vm.name, ip: vm.address, osFamily: vm.osFamily }],
    });
    const res = await post('tenant-service', `/v1/tenants/${tenant.id}/vms`, { vms: [vm] });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const op = await eventually(
      async () => {
        const o = (await (await get('tenant-service', `/v1/operations/${id}`)).json()) as {
          state: string;
          errorCode: string | null;
        };
        return o.state !== 'running' ? o : undefined;
      },
      120_000,
      250,
    );
    expect(op).toMatchObject({ state: 'failed', errorCode: 'LICENSE_CAPACITY_EXCEEDED' });
  }, 150_000);
});
