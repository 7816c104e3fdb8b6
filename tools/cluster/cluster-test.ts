import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_CATALOG } from '@tpo/contracts';
import { applyTopology } from '@tpo/messaging';
import { mintToken } from '@tpo/platform';
import { Client } from 'pg';
import { bootstrapDatabase, loadTopology, migrateAll } from '../bootstrap/bootstrap';
import { devSecrets, LocalLayout, loadLocalLayout } from '../bootstrap/local-layout';
import { describeMachine, percentile } from '../bench/bench-support';
import { ChaosPlan, runChaos, seededRandom } from './chaos';
import { checkCluster, OrderedTenant } from './cluster-checks';
import { LocalNatsCluster } from './nats-cluster';
import { ReplicatedPlatform } from './replicated-platform';

/**
 * `npm run cluster:test [-- --tenants 100 --vms 2 --seed N --ci]`: a 3-node JetStream cluster (R3
 * stream and consumers) and two replicas of every service on one Postgres database; onboards the
 * tenants while SIGKILLing the stream's leader node and one replica of each service at random
 * moments, bringing each back; then checks the outcome from the simulator's state and counters, the
 * services' tables and the cluster (tools/cluster/cluster-checks.ts). Prints figures and a JSON line;
 * exits 1 when a check fails. `--ci` is the small run inside `npm test`.
 */
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--ci') args.set('ci', 'true');
  else if (a.startsWith('--')) args.set(a.slice(2), process.argv[++i]);
}
const CI = args.get('ci') === 'true';
const TENANTS = Number(args.get('tenants') ?? (CI ? 10 : 100));
const VMS = Number(args.get('vms') ?? 2);
const REPLICAS = 2;
const SEED = Number(args.get('seed') ?? Date.now() % 1_000_000);
const DATABASE = process.env.TPO_CLUSTER_DATABASE ?? 'tpo_cluster';
const STREAM = 'TPO_EVENTS';
const PREFIX = 'tpo';
const PLAN: ChaosPlan = CI
  ? {
      natsLeaderKills: 1,
      serviceKillRounds: 1,
      stalls: ['tenant-service'],
      stallMs: 16_000,
      stallWindowMs: [2000, 7000],
      windowMs: [2000, 25_000],
      downMs: [500, 3000],
    }
  : {
      natsLeaderKills: 3,
      serviceKillRounds: 2,
      stalls: ['tenant-service', 'registration-service', 'activation-service'],
      stallMs: 16_000,
      stallWindowMs: [5000, 60_000],
      windowMs: [3000, 75_000],
      downMs: [1000, 5000],
    };

async function freshDatabase(layout: LocalLayout): Promise<void> {
  const admin = new Client({ connectionString: layout.adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${layout.database}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await bootstrapDatabase(layout);
  await migrateAll(layout);
}

type Order = Omit<OrderedTenant, 'vms'> & {
  adminAccountName: string;
  vms: { biosUuid: string; name: string; osFamily: string; address: string }[];
};

function ordersFor(count: number, vms: number): Order[] {
  return Array.from({ length: count }, (_, n) => {
    const id = `${String(n + 1).padStart(3, '0')}-${randomUUID().slice(0, 6)}`;
    return {
      orderId: `cluster-${id}`,
      tenantName: `Cluster ${id}`,
      adminAccountName: `cl-${id}`,
      vms: Array.from({ length: vms }, (_, i) => ({
        biosUuid: randomUUID(),
        name: `cl${id}-vm${i}`,
        osFamily: 'linux',
        address: `10.7.${i}.${(n % 250) + 1}`,
      })),
    };
  });
}

/** Orders every tenant through the REST proxy at a steady pace; an order that meets a killed replica is sent again (same order id: idempotent). */
async function placeOrders(
  url: string,
  auth: Record<string, string>,
  orders: OrderedTenant[],
  windowMs: number,
): Promise<void> {
  const pace = windowMs / orders.length;
  await Promise.all(
    orders.map(async (order, i) => {
      await new Promise((r) => setTimeout(r, Math.round(i * pace)));
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${url}/v1/tenants`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(order),
          signal: AbortSignal.timeout(15_000),
        }).catch(() => undefined);
        if (res && (res.status === 202 || res.status === 200)) return;
        if (attempt >= 30)
          throw new Error(`order ${order.orderId} refused: ${res ? `${res.status} ${await res.text()}` : 'no answer'}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }),
  );
}

type TenantRow = { orderId: string; status: string; createdAt: string; readyAt: string | null };

async function tenantRows(url: string, auth: Record<string, string>): Promise<TenantRow[]> {
  const rows: TenantRow[] = [];
  for (let offset = 0; ; offset += 100) {
    const res = await fetch(`${url}/v1/tenants?limit=100&offset=${offset}`, { headers: auth });
    if (!res.ok) throw new Error(`tenant list: ${res.status}`);
    const page = (await res.json()) as { items: TenantRow[]; total: number };
    rows.push(...page.items);
    if (offset + 100 >= page.total) return rows;
  }
}

async function main(): Promise<void> {
  const layout = loadLocalLayout({ database: DATABASE });
  const machine = await describeMachine(layout);
  console.log(`[cluster] ${TENANTS} tenants x ${VMS} VMs, ${REPLICAS} replicas per service, seed ${SEED}`);
  const dir = mkdtempSync(join(tmpdir(), 'tpo-cluster-'));
  await freshDatabase(layout);
  const nats = await LocalNatsCluster.start(3, join(dir, 'nats'));
  let platform: ReplicatedPlatform | undefined;
  let ok = false;
  try {
    await nats.withConnection(async (nc) =>
      // Shorter ack wait / first redelivery than production (30 s) so a killed replica's in-flight events come back within the CI budget.
      applyTopology(await nc.jetstreamManager(), loadTopology(), {
        prefix: PREFIX,
        streamName: STREAM,
        replicas: 3,
        eventKeys: EVENT_CATALOG.map((d) => d.key),
        consumerOverrides: { ack_wait_seconds: 15, backoff_seconds: [15, 30, 60] },
      }),
    );
    const simulatorConfig = join(dir, 'simulator.json');
    writeFileSync(
      simulatorConfig,
      JSON.stringify({
        sites: [
          { id: 'site-1', faults: { taskDurationsMs: { '*': 300, CreateTenant: 2000, ChangeTenantActivation: 1000 } } },
        ],
      }),
    );
    platform = await ReplicatedPlatform.start({
      layout,
      replicas: REPLICAS,
      natsUrl: nats.url,
      stream: STREAM,
      prefix: PREFIX,
      stateDir: dir,
      simulatorConfig,
      // Ten processes share one Postgres (max_connections 100 by default): small pools.
      extraEnv: {
        LOG_LEVEL: 'info',
        DATABASE_POOL_SIZE: CI ? '2' : '3',
        JOB_LEASE_MS: '10000',
        JOB_RETRY_BASE_MS: '500',
        JOB_RETRY_MAX_MS: '5000',
        EVENT_RETRY_BASE_MS: '500',
      },
    });
    console.log(`[cluster] NATS ${nats.url}; services up (${platform.replicas.length} processes)`);
    const orders = ordersFor(TENANTS, VMS);
    const hosts = orders.flatMap((o) =>
      o.vms.map((v) => ({ biosId: v.biosUuid, name: v.name, ip: v.address, osFamily: v.osFamily })),
    );
    await fetch(`${platform.adminUrl}/sites/site-1/ksc/hosts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hosts }),
    });
    const auth = {
      Authorization: `Bearer ${await mintToken(devSecrets().jwtSecret, { subject: 'cluster-test', roles: ['admin'], ttlSeconds: 7200 })}`,
    };

    const startedAt = Date.now();
    const restUrl = platform.restProxy.url;
    const ordering = placeOrders(restUrl, auth, orders, CI ? 8000 : 40_000);
    const inFlight = async () =>
      (
        (await (await fetch(`${restUrl}/v1/tenants?status=onboarding&limit=1`, { headers: auth })).json()) as {
          total: number;
        }
      ).total;
    const chaos = runChaos({
      plan: PLAN,
      random: seededRandom(SEED),
      nats,
      platform,
      stream: STREAM,
      services: layout.services.map((s) => s.name),
      replicas: REPLICAS,
      startedAt,
      inFlight,
    });
    const [, events] = await Promise.all([ordering, chaos]);

    const deadline = Date.now() + (CI ? 5 : 15) * 60_000;
    let rows: TenantRow[] = [];
    for (;;) {
      rows = await tenantRows(restUrl, auth).catch(() => rows);
      if (rows.length >= TENANTS && rows.every((r) => r.status !== 'onboarding')) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const onboardedMs = Date.now() - startedAt;
    // Let the last events settle (acks, outbox marks) before reading the tables and consumers.
    let verdict = await checkCluster({
      orders,
      statuses: new Map(rows.map((r) => [r.orderId, r.status])),
      simulatorAdminUrl: platform.adminUrl,
      layout,
      nats,
      stream: STREAM,
    });
    for (let i = 0; i < 20 && verdict.checks.some((c) => !c.ok); i++) {
      await new Promise((r) => setTimeout(r, 1500));
      rows = await tenantRows(restUrl, auth).catch(() => rows);
      verdict = await checkCluster({
        orders,
        statuses: new Map(rows.map((r) => [r.orderId, r.status])),
        simulatorAdminUrl: platform.adminUrl,
        layout,
        nats,
        stream: STREAM,
      });
    }
    const latencies = rows
      .filter((r) => r.readyAt)
      .map((r) => new Date(r.readyAt!).getTime() - new Date(r.createdAt).getTime());
    const figures = {
      tenants: TENANTS,
      vmsPerTenant: VMS,
      replicasPerService: REPLICAS,
      natsNodes: 3,
      seed: SEED,
      onboardingSeconds: Math.round(onboardedMs / 100) / 10,
      tenantsPerMinute: Math.round((TENANTS / onboardedMs) * 60_000 * 10) / 10,
      p50Seconds: Math.round(percentile(latencies, 50) / 100) / 10,
      p99Seconds: Math.round(percentile(latencies, 99) / 100) / 10,
      kills: events.length,
      killsWithTenantsInFlight: events.filter((e) => e.tenantsInFlight > 0).length,
      natsLeaderKills: events.filter((e) => e.target.startsWith('nats:')).length,
      leaderFailovers: events.filter((e) => e.leaderWhileDown && e.leaderWhileDown !== e.leaderBefore).length,
      maxServiceRecoveryMs: Math.max(
        0,
        ...events.filter((e) => !e.target.startsWith('nats:')).map((e) => e.recoveredAfterMs),
      ),
      maxStreamRecoveryMs: Math.max(
        0,
        ...events.filter((e) => e.target.startsWith('nats:')).map((e) => e.recoveredAfterMs),
      ),
      relayActivations: Object.fromEntries(layout.services.map((s) => [s.name, platform!.relayActivations(s.name)])),
      stalls: events.filter((e) => e.target.includes('stalled')).length,
      // Fencing: job writes refused to a worker whose lease another replica took over
      fencedOutJobs: layout.services.reduce(
        (n, s) => n + platform!.countLogLines(s.name, /lease (was )?lost|lease not renewed/),
        0,
      ),
      peakRssMiB: Object.fromEntries(Object.entries(platform.peakRssKiB).map(([k, v]) => [k, Math.round(v / 1024)])),
      ...verdict.figures,
    };
    console.log('[cluster] kills:');
    for (const e of events)
      console.log(
        `  t=${e.atSeconds}s ${e.target} with ${e.tenantsInFlight} tenants in flight: down ${e.downMs} ms, recovered ${e.recoveredAfterMs} ms${e.leaderBefore ? ` (leader ${e.leaderBefore}, while down ${e.leaderWhileDown ?? 'none yet'})` : ''}`,
      );
    console.log('[cluster] checks:');
    for (const c of verdict.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    console.log(`[cluster] figures: ${JSON.stringify(figures)}`);
    ok = verdict.checks.every((c) => c.ok);
    console.log(
      JSON.stringify({
        clusterTest: ok ? 'passed' : 'failed',
        at: new Date().toISOString(),
        machine,
        ci: CI,
        figures,
        checks: verdict.checks,
        kills: events,
      }),
    );
  } finally {
    await platform?.stop();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(`[cluster] failed: ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
