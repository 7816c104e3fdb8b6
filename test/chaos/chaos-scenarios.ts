import { randomUUID } from 'node:crypto';
import { EventEnvelope, TenantRequested, TenantRequestedV1 } from '@tpo/contracts';
import { JetStreamClient } from '@tpo/messaging';
import { NatsConnection } from 'nats';
import { authHeaders, eventually, sql } from '../support/harness';
import { startTestPlatform, TestPlatform } from '../support/platform';
import { freePortBase } from '../support/ports';
import { testLayout } from '../support/test-env';
import { ChaosReport, checkChaos, printChaos } from './checker';
import { PostgresProxy, PrivateNats } from './fault-infra';

const SERVICES = [
  'tenant-service',
  'svm-config-service',
  'agent-install-service',
  'registration-service',
  'activation-service',
];
const SITES = ['site-1', 'site-2'];

/** The platform as processes on a private NATS server and behind a PostgreSQL proxy, so both can fail. */
export class ChaosRig {
  private constructor(
    readonly platform: TestPlatform,
    readonly nats: PrivateNats,
    readonly pg: PostgresProxy,
    private nc: NatsConnection,
  ) {}

  static async start(): Promise<ChaosRig> {
    const nats = await PrivateNats.start();
    const base = testLayout();
    const pg = await PostgresProxy.start({ host: base.pgHost, port: base.pgPort });
    const nc = await nats.connect();
    const platform = await startTestPlatform(nc, {
      sites: 2,
      portBase: await freePortBase(),
      layout: { natsUrl: nats.url, pgPort: pg.port },
      extraEnv: { RATE_LIMIT_PER_MINUTE: '100000' },
    });
    for (const s of SITES) await this.faultsOf(platform, s, { taskDurationsMs: { '*': 40 } });
    return new ChaosRig(platform, nats, pg, nc);
  }

  private static faultsOf(platform: TestPlatform, site: string, patch: object) {
    return fetch(`${platform.simulator.adminUrl}/sites/${site}/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patch),
    });
  }

  /** The same vendor faults on every site. */
  async faults(patch: object): Promise<void> {
    for (const s of SITES) await ChaosRig.faultsOf(this.platform, s, patch);
  }

  async clearFaults(): Promise<void> {
    for (const s of SITES) {
      await fetch(`${this.platform.simulator.adminUrl}/sites/${s}/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ taskDurationsMs: { '*': 40 } }),
      });
    }
  }

  order(tag: string): TenantRequestedV1 {
    const id = `${tag}-${randomUUID().slice(0, 6)}`;
    return {
      orderId: `chaos-${id}`,
      tenantName: `Chaos ${id}`,
      adminAccountName: `chaos-${id}`,
      vms: [0, 1].map((i) => ({
        biosUuid: randomUUID(),
        name: `${id}-vm${i}`,
        osFamily: 'linux' as const,
        address: `10.6.${i}.10`,
      })),
    } as TenantRequestedV1;
  }

  async seed(o: TenantRequestedV1): Promise<void> {
    for (const s of SITES) {
      await fetch(`${this.platform.simulator.adminUrl}/sites/${s}/ksc/hosts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          hosts: o.vms.map((v) => ({ biosId: v.biosUuid, name: v.name, ip: v.address, osFamily: v.osFamily })),
        }),
      });
    }
  }

  envelope(o: TenantRequestedV1): EventEnvelope<TenantRequestedV1> {
    return {
      specversion: '1.0',
      id: randomUUID(),
      type: TenantRequested.type,
      source: 'chaos-order-system',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      correlationid: `chaos-${randomUUID()}`,
      data: o,
    };
  }

  /** Publishes on NATS (retrying while the broker is away, as an upstream system would). */
  async publish(e: EventEnvelope<TenantRequestedV1>): Promise<{ duplicate: boolean }> {
    const client = new JetStreamClient(this.nc, this.platform.messaging.prefix);
    for (let i = 0; ; i++) {
      try {
        return await client.publishEvent(TenantRequested, e);
      } catch (err) {
        if (i > 60) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Orders over REST (accepted into the outbox even while the broker is down). */
  async post(o: TenantRequestedV1): Promise<number> {
    const res = await fetch(`${this.platform.url('tenant-service')}/v1/tenants`, {
      method: 'POST',
      headers: { ...(await authHeaders('admin')), 'content-type': 'application/json' },
      body: JSON.stringify(o),
    });
    return res.status;
  }

  killRandomService(): Promise<void> {
    return this.platform.crashAndRestart(SERVICES[Math.floor(Math.random() * SERVICES.length)]);
  }

  /** Waits until every order is terminal (or the quiet period ends), then checks and prints. */
  async settle(scenario: string, orderIds: string[], quietMs: number): Promise<ChaosReport> {
    await this.clearFaults();
    await eventually(
      async () => {
        const rows = await sql<{ status: string }>(
          'tenant-service',
          `SELECT status FROM tenant WHERE order_id = ANY($1)`,
          [orderIds],
        );
        return rows.length === orderIds.length && rows.every((r) => r.status !== 'onboarding');
      },
      quietMs,
      500,
    ).catch(() => undefined); // the checker reports whatever is still stuck
    await eventually(async () => (await this.outboxBacklog()) === 0, 20_000, 250).catch(() => undefined);
    const report = await checkChaos(scenario, orderIds, this.platform.simulator.adminUrl, SITES);
    printChaos(report);
    return report;
  }

  private async outboxBacklog(): Promise<number> {
    let n = 0;
    for (const s of SERVICES)
      n += (await sql<{ n: number }>(s, `SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`))[0].n;
    return n;
  }

  async stop(): Promise<void> {
    await this.platform?.stop();
    await this.nc.close().catch(() => undefined);
    await this.nats.stop();
    await this.pg.stop();
  }
}

/** What every scenario must show: all ordered tenants ready, nothing stuck, lost or done twice. */
export function expectClean(report: ChaosReport): void {
  expect({ stuck: report.stuck, lostOrders: report.lostOrders, unpublishedEvents: report.unpublishedEvents }).toEqual({
    stuck: [],
    lostOrders: [],
    unpublishedEvents: 0,
  });
  for (const [kind, n] of Object.entries(report.duplicateEffects))
    expect({ kind, duplicates: n }).toEqual({ kind, duplicates: 0 });
  expect({ ready: report.ready, failed: report.failed }).toEqual({ ready: report.ordered, failed: [] });
}

export interface ChaosSize {
  /** Orders per burst scenario. */
  orders: number;
  /** Kills during the crash soak. */
  kills: number;
  quietMs: number;
}

/** The scenarios, each named by its reference id (shared/reference/reliability-security.md B.6). */
export function chaosScenarios(rig: () => ChaosRig, size: ChaosSize) {
  const burst = async (tag: string, n: number, via: 'nats' | 'rest' = 'nats') => {
    const orders = Array.from({ length: n }, () => rig().order(tag));
    for (const o of orders) await rig().seed(o);
    for (const o of orders) {
      if (via === 'nats') await rig().publish(rig().envelope(o));
      else expect(await rig().post(o)).toBe(202);
    }
    return orders.map((o) => o.orderId);
  };
  return {
    R1: async () => {
      const o = rig().order('r1');
      await rig().seed(o);
      const e = rig().envelope(o);
      expect((await rig().publish(e)).duplicate).toBe(false);
      expect((await rig().publish(e)).duplicate).toBe(true);
      expectClean(await rig().settle('R1', [o.orderId], size.quietMs));
    },
    R3: async () => {
      // The IS clock is 2 minutes behind; CreateTenant is handled but its answer held back while tenant-service is killed.
      await rig().faults({
        clockSkewMs: -120_000,
        holdAnswer: { remaining: 1, ms: 6000, methods: ['CreateTenant'] },
        taskDurationsMs: { '*': 40, CreateTenant: 4000 },
      });
      const adminUrl = rig().platform.simulator.adminUrl;
      const count = async () => {
        let n = 0;
        for (const s of SITES)
          n +=
            ((await (await fetch(`${adminUrl}/sites/${s}/counters`)).json()) as Record<string, number>).CreateTenant ??
            0;
        return n;
      };
      const before = await count();
      const ids = await burst('r3', 1);
      await eventually(async () => (await count()) > before, 30_000, 20);
      await rig().platform.crashAndRestart('tenant-service');
      expectClean(await rig().settle('R3', ids, size.quietMs));
    },
    /** Step services killed between a vendor call and its commit: svm-config after CopyOrMovePolicy (the tenant's policy clone), activation after ActivateTenant. */
    R3steps: async () => {
      const calls = async (op: string) => {
        let n = 0;
        for (const s of SITES)
          n +=
            (
              (await (await fetch(`${rig().platform.simulator.adminUrl}/sites/${s}/counters`)).json()) as Record<
                string,
                number
              >
            )[op] ?? 0;
        return n;
      };
      for (const [op, service] of [
        ['Policy.CopyOrMovePolicy', 'svm-config-service'],
        ['ActivateTenant', 'activation-service'],
      ] as const) {
        await rig().faults({ holdAnswer: { remaining: 1, ms: 5000, methods: [op] } });
        const before = await calls(op);
        const ids = await burst(`r3-${service.split('-')[0]}`, 1);
        await eventually(async () => (await calls(op)) > before, 60_000, 20);
        await rig().platform.crashAndRestart(service);
        expectClean(await rig().settle(`R3/${service}`, ids, size.quietMs));
      }
    },
    R14: async () => {
      const ids = await burst('r14', size.orders);
      for (let k = 0; k < size.kills; k++) {
        await new Promise((r) => setTimeout(r, 500 + Math.random() * 2500));
        await rig().killRandomService();
      }
      expectClean(await rig().settle('R14', ids, size.quietMs));
    },
    R5: async () => {
      const first = await burst('r5', Math.ceil(size.orders / 2));
      await rig().nats.crash(3000);
      const second = await burst('r5b', Math.floor(size.orders / 2));
      expectClean(await rig().settle('R5', [...first, ...second], size.quietMs));
    },
    R6: async () => {
      // Broker down while the API takes orders: 202 (outbox), drained once it is back.
      const down = rig().nats.crash(5000);
      await new Promise((r) => setTimeout(r, 300));
      const ids = await burst('r6', size.orders, 'rest');
      await down;
      expectClean(await rig().settle('R6', ids, size.quietMs));
    },
    R7: async () => {
      const ids = await burst('r7', size.orders);
      await new Promise((r) => setTimeout(r, 500));
      await rig().pg.outage(4000);
      expectClean(await rig().settle('R7', ids, size.quietMs));
    },
    R13: async () => {
      // Vendor storm: 5xx on a third of the calls, 429 bursts, dropped connections and a slow server.
      await rig().faults({
        errorRate: { '*': 0.3 },
        burst429: { remaining: 20, retryAfterSeconds: 1 },
        resetNext: 5,
        latencyMs: { '*': 150 },
      });
      const ids = await burst('r13', size.orders);
      await new Promise((r) => setTimeout(r, 4000));
      expectClean(await rig().settle('R13', ids, size.quietMs));
    },
  };
}
