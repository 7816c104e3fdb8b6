import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_CATALOG, subjectOf, TenantReady } from '@tpo/contracts';
import { REMOTE_INSTALLATION_TASK } from '@tpo/kaspersky-simulator';
import { applyTopology } from '@tpo/messaging';
import { mintToken } from '@tpo/platform';
import { connect, NatsConnection } from 'nats';
import { bootstrapDatabase, loadTopology, migrateAll, resetLocalState } from '../bootstrap/bootstrap';
import { devSecrets } from '../bootstrap/local-layout';
import { LocalPlatform, startLocalPlatform } from '../platform/local-platform';
import { benchLayout, benchPorts, round } from './bench-support';

/** A simulated site's config for the simulator (`faults.taskDurationsMs` sets task durations). */
export type SimulatorSite = { id: string; faults?: { taskDurationsMs?: Record<string, number> } };

/** Realistic task durations (issue 11, P2), scaled by TPO_BENCH_TIME_SCALE for the small runs in tests. */
export function realisticSite(): SimulatorSite {
  const scale = Number(process.env.TPO_BENCH_TIME_SCALE ?? 1);
  const ms = (n: number) => Math.max(1, Math.round(n * scale));
  return {
    id: 'site-1',
    faults: {
      taskDurationsMs: {
        '*': ms(200),
        CreateTenant: ms(5000),
        ChangeTenantActivation: ms(2000),
        // The KSC task type the Light Agent installation runs as (the simulator times tasks by TASK_NAME).
        [REMOTE_INSTALLATION_TASK]: ms(10_000),
      },
    },
  };
}

/** The bench's own bus connection and subject prefix of each running bench platform (for `onboard`). */
const benchBus = new WeakMap<LocalPlatform, { nc: NatsConnection; prefix: string }>();

export const ZERO_LATENCY_SITE: SimulatorSite = { id: 'site-1', faults: { taskDurationsMs: { '*': 0 } } };

export interface BenchPlatformOptions {
  /** Extra environment for the five services. */
  serviceEnv?: Record<string, string>;
  /** Extra Node.js flags for the five services (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Extra Node.js flags for the simulator (--cpu-prof under TPO_BENCH_CPU_PROF). */
  simulatorNodeArgs?: string[];
  /** Keep the database of a previous run (P6 seeds it first); default: start from an empty one. */
  keepDatabase?: boolean;
  /** Simulated sites, all like `site` (a site holds at most 500 tenants); default 1. */
  sites?: number;
}

/**
 * A whole platform (simulator + five services as processes) on the bench database and its own
 * stream, torn down after `work`. Every platform starts from an empty database unless told not to.
 */
export async function withBenchPlatform<T>(
  name: string,
  site: SimulatorSite,
  work: (p: LocalPlatform) => Promise<T>,
  options: BenchPlatformOptions = {},
): Promise<T> {
  const layout = benchLayout();
  // Stream, subjects and durable consumers are per bench database: two benches on their own databases
  // (TPO_BENCH_DATABASE) must not delete each other's stream or share consumers on the shared NATS server.
  const own = layout.database === 'tpo_bench' ? '' : layout.database.toLowerCase().replace(/[^a-z0-9]/g, '-');
  // NATS_STREAM and NATS_SUBJECT_PREFIX allow 32 characters: a long database name is replaced by a
  // short digest of it (a cut would let two databases share a stream's subjects).
  const short = (whole: string, head: string) =>
    whole.length <= 32 ? whole : `${head}${createHash('sha256').update(own).digest('hex').slice(0, 8)}`.slice(0, 32);
  const stream = short(
    `BENCH_${name}${own ? `_${own}` : ''}`.toUpperCase().replace(/-/g, '_'),
    `BENCH_${name}_`.toUpperCase(),
  ).toUpperCase();
  const prefix = short(`bench${name}${own ? `-${own}` : ''}`.toLowerCase(), `bench${name}-`.toLowerCase());
  if (!options.keepDatabase) await resetLocalState(layout, stream);
  await bootstrapDatabase(layout);
  await migrateAll(layout);
  const nc = await connect({ servers: layout.natsUrl });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(stream).catch(() => undefined);
  await applyTopology(jsm, loadTopology(), {
    prefix,
    streamName: stream,
    eventKeys: EVENT_CATALOG.map((d) => d.key),
  });
  const dir = mkdtempSync(join(tmpdir(), 'tpo-bench-'));
  const siteCount = options.sites ?? 1;
  writeFileSync(
    join(dir, 'simulator.json'),
    JSON.stringify({
      sites: Array.from({ length: siteCount }, (_, i) => ({ ...site, id: i === 0 ? site.id : `site-${i + 1}` })),
    }),
  );
  const [is, ksc, admin, ...servicePorts] = await benchPorts([
    27271,
    23299,
    27399,
    ...layout.services.map((_, i) => 3950 + i),
  ]);
  let platform: LocalPlatform;
  try {
    platform = await startLocalPlatform({
      layout,
      stateDir: dir,
      simulatorConfig: join(dir, 'simulator.json'),
      sites: siteCount,
      simulatorPorts: { integrationServer: is, ksc, admin },
      ports: Object.fromEntries(layout.services.map((s, i) => [s.name, servicePorts[i]])),
      extraEnv: {
        NATS_STREAM: stream,
        NATS_SUBJECT_PREFIX: prefix,
        LOG_LEVEL: process.env.TPO_BENCH_LOG_LEVEL ?? 'warn',
        // Job slots: the services' defaults unless set (TPO_BENCH_JOB_CONCURRENCY, TPO_BENCH_JOB_SITE_CONCURRENCY).
        ...(process.env.TPO_BENCH_JOB_CONCURRENCY ? { JOB_CONCURRENCY: process.env.TPO_BENCH_JOB_CONCURRENCY } : {}),
        ...(process.env.TPO_BENCH_JOB_SITE_CONCURRENCY
          ? { JOB_SITE_CONCURRENCY: process.env.TPO_BENCH_JOB_SITE_CONCURRENCY }
          : {}),
        ...(process.env.TPO_BENCH_JOB_MAX_HELD ? { JOB_MAX_HELD: process.env.TPO_BENCH_JOB_MAX_HELD } : {}),
        EVENT_CONCURRENCY: '32',
        RATE_LIMIT_PER_MINUTE: '100000000',
        // The small runs in the test suite share the Postgres server's connections with everything else.
        ...(process.env.TPO_BENCH_POOL_SIZE ? { DATABASE_POOL_SIZE: process.env.TPO_BENCH_POOL_SIZE } : {}),
        ...options.serviceEnv,
      },
      license: { maxVms: 1_000_000 },
      echo: process.env.TPO_BENCH_ECHO === '1',
      serviceNodeArgs: options.nodeArgs,
      simulatorNodeArgs: options.simulatorNodeArgs,
    });
  } catch (e) {
    // A platform that did not start leaves no stream behind (its subjects would block the next run).
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
    throw e;
  }
  benchBus.set(platform, { nc, prefix });
  try {
    // Like `license: { maxVms: 1_000_000 }` above: the live keys (a simulated site seeds one key of 500)
    // must not hold a bench's tenants; activation still reads them, as in production.
    for (const e of platform.simulator.endpoints) {
      await fetch(`${platform.simulator.adminUrl}/sites/${e.siteId}/ksc/license-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          productName: 'Kaspersky Security for Virtualization Light Agent',
          licCount: 10_000_000,
        }),
      });
    }
    return await Promise.race([work(platform), exitOfAny(platform)]);
  } catch (e) {
    // The services' own errors say why (LOG_LEVEL=warn keeps their output small).
    for (const proc of platform.processes) {
      const lines = proc.output
        .join('')
        .split('\n')
        .filter((l) => /"level":"(error|fatal)"/.test(l));
      for (const l of lines.slice(-5)) console.error(`[${proc.name}] ${l.slice(0, 1000)}`);
    }
    throw e;
  } finally {
    stopping.add(platform);
    await platform.stop();
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  }
}

const stopping = new WeakSet<LocalPlatform>();

/**
 * Rejects when a process of the platform exits before the bench stops it: a service that died
 * mid-run would otherwise leave the bench waiting for tenants that never come (until its timeout).
 */
function exitOfAny(platform: LocalPlatform): Promise<never> {
  return new Promise<never>((_, reject) => {
    for (const p of platform.processes)
      void p.exit.then((code) => {
        if (stopping.has(platform)) return;
        const tail = p.output.join('').slice(-3000);
        reject(
          new Error(
            `${p.name} exited (${code ?? p.child.signalCode}) during the bench\n--- its last output ---\n${tail}`,
          ),
        );
      });
  });
}

export interface Order {
  orderId: string;
  tenantName: string;
  adminAccountName: string;
  vms: { biosUuid: string; name: string; osFamily: 'linux' | 'windows'; address: string }[];
}

let nextAddress = 1;
/** A distinct IPv4 address per VM: the platform finds a VM's device by its address. */
function uniqueAddress(): string {
  const n = nextAddress++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

export function makeOrders(count: number, vms: number, tag = 'bench'): Order[] {
  return Array.from({ length: count }, () => {
    const id = randomUUID().slice(0, 8);
    return {
      orderId: `${tag}-${id}`,
      tenantName: `Bench ${id}`,
      adminAccountName: `${tag}-${id}`,
      vms: Array.from({ length: vms }, (_, i) => ({
        biosUuid: randomUUID(),
        name: `b${id}-vm${i}`,
        osFamily: 'linux' as const,
        address: uniqueAddress(),
      })),
    };
  });
}

/** The VMs exist on the site's KSC (as if cloned from a template with a Network Agent). */
export async function seedHosts(simulatorAdminUrl: string, siteId: string, orders: Order[]): Promise<void> {
  const hosts = orders.flatMap((o) =>
    o.vms.map((v) => ({ biosId: v.biosUuid, name: v.name, ip: v.address, osFamily: v.osFamily })),
  );
  for (let i = 0; i < hosts.length; i += 1000) {
    const res = await fetch(`${simulatorAdminUrl}/sites/${siteId}/ksc/hosts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hosts: hosts.slice(i, i + 1000) }),
    });
    if (!res.ok) throw new Error(`seeding hosts failed: ${res.status}`);
  }
}

export async function adminAuth(): Promise<Record<string, string>> {
  return {
    Authorization: `Bearer ${await mintToken(devSecrets().jwtSecret, { subject: 'bench', roles: ['admin'], ttlSeconds: 7200 })}`,
  };
}

export interface OnboardingRun {
  latenciesMs: number[];
  totalMs: number;
  failed: number;
}

/**
 * Orders the tenants over REST (`concurrency` at once) and waits until each is ready, watching the
 * `TenantReady` events as an ops dashboard would (a plain NATS subscription: no load on the
 * platform). A REST count of the tenants still onboarding, once a second, ends the wait when some
 * tenant failed instead. (Until session 5 the bench asked REST ten times a second: in a 500-tenant
 * run that was ~16% of the Postgres statements, charged to the platform.)
 */
export async function onboard(p: LocalPlatform, orders: Order[], concurrency = 16): Promise<OnboardingRun> {
  const auth = await adminAuth();
  await seedHosts(p.simulator.adminUrl, p.simulator.endpoints[0].siteId, orders);
  const bus = benchBus.get(p);
  const readyAt = new Map<string, number>();
  const sub = bus?.nc.subscribe(subjectOf(TenantReady, bus.prefix), {
    callback: (err, msg) => {
      if (err) return;
      try {
        const tenantId = (msg.json() as { data?: { tenantId?: unknown } }).data?.tenantId;
        if (typeof tenantId === 'string' && !readyAt.has(tenantId)) readyAt.set(tenantId, Date.now());
      } catch {
        // not an event of ours
      }
    },
  });
  if (bus) await bus.nc.flush(); // the subscription is in place before the first order
  const started = Date.now();
  const ids: string[] = [];
  let next = 0;
  let totalMs = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < orders.length) {
          const o = orders[next++];
          const res = await fetch(`${p.url('tenant-service')}/v1/tenants`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify(o),
          });
          if (res.status !== 202) throw new Error(`order refused: ${res.status} ${await res.text()}`);
          ids.push(((await res.json()) as { id: string }).id);
        }
      }),
    );
    let endedAt: number | undefined;
    for (let lastPoll = 0; endedAt === undefined;) {
      if (bus && ids.every((id) => readyAt.has(id))) {
        endedAt = Math.max(started, ...ids.map((id) => readyAt.get(id)!));
        break;
      }
      if (!bus || Date.now() - lastPoll >= 1000) {
        lastPoll = Date.now();
        const page = (await (
          await fetch(`${p.url('tenant-service')}/v1/tenants?status=onboarding&limit=1`, { headers: auth })
        ).json()) as { total: number };
        if (page.total === 0) endedAt = Date.now();
      }
      if (Date.now() - started > 30 * 60_000) throw new Error('bench timed out');
      if (endedAt === undefined) await new Promise((r) => setTimeout(r, bus ? 20 : 100));
    }
    totalMs = endedAt - started;
  } finally {
    sub?.unsubscribe();
  }
  const latenciesMs: number[] = [];
  let failed = 0;
  for (const id of ids) {
    const t = (await (await fetch(`${p.url('tenant-service')}/v1/tenants/${id}`, { headers: auth })).json()) as {
      status: string;
      createdAt: string;
      readyAt: string | null;
    };
    if (t.status !== 'ready' || !t.readyAt) failed++;
    else latenciesMs.push(new Date(t.readyAt).getTime() - new Date(t.createdAt).getTime());
  }
  return { latenciesMs, totalMs, failed };
}

/** Resident memory (MB) of each running service process, from /proc (Linux). */
export function serviceRssMb(p: LocalPlatform): Record<string, number> {
  const out: Record<string, number> = {};
  for (const proc of p.processes) {
    if (proc.name === 'kaspersky-simulator' || proc.child.exitCode !== null || !proc.child.pid) continue;
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.child.pid}/status`, 'utf8'))?.[1] ?? 0);
      out[proc.name] = Math.round(kb / 1024);
    } catch {
      out[proc.name] = -1;
    }
  }
  return out;
}

/** One service's memory as it reports it on `/metrics` (prom-client's default process and heap metrics), MB. */
export interface ServiceMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  /** Used bytes of V8's old space alone (long-lived objects: what a leak would grow). */
  oldSpaceUsed: number;
  /** Reserved bytes of V8's new (young) space: two semi-spaces. */
  newSpaceTotal: number;
  /** Seconds spent in garbage collection since the process started (all kinds). */
  gcSeconds: number;
}

/**
 * Each running service's memory breakdown, read from its `/metrics` (no debug route): RSS, V8 heap
 * reserved (`heapTotal`) vs used, off-heap (`external`, Buffers included). RSS far above heapTotal +
 * external is the allocator's and the code's share; heapTotal far above heapUsed is heap V8 keeps
 * after a peak.
 */
export async function serviceMemoryMb(p: LocalPlatform): Promise<Record<string, ServiceMemory>> {
  const out: Record<string, ServiceMemory> = {};
  const mb = (text: string, metric: string) => {
    const m = new RegExp(`^${metric}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text);
    return m ? round(Number(m[1]) / 2 ** 20, 1) : -1;
  };
  for (const proc of p.processes) {
    if (proc.name === 'kaspersky-simulator' || proc.name === 'ops-console' || proc.child.exitCode !== null) continue;
    try {
      const text = await (await fetch(`${p.url(proc.name)}/metrics`)).text();
      out[proc.name] = {
        rss: mb(text, 'process_resident_memory_bytes'),
        heapTotal: mb(text, 'nodejs_heap_size_total_bytes'),
        heapUsed: mb(text, 'nodejs_heap_size_used_bytes'),
        external: mb(text, 'nodejs_external_memory_bytes'),
        oldSpaceUsed: mb(text, 'nodejs_heap_space_size_used_bytes\\{[^}]*space="old"[^}]*\\}'),
        newSpaceTotal: mb(text, 'nodejs_heap_space_size_total_bytes\\{[^}]*space="new"[^}]*\\}'),
        gcSeconds: round(
          [...text.matchAll(/^nodejs_gc_duration_seconds_sum(?:\{[^}]*\})? ([0-9.e+-]+)/gm)].reduce(
            (a, m) => a + Number(m[1]),
            0,
          ),
          2,
        ),
      };
    } catch {
      // A service that stopped answering has no breakdown; its RSS still shows in serviceRssMb.
    }
  }
  return out;
}
