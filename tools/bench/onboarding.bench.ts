import 'reflect-metadata';
import { Client } from 'pg';
import { LocalPlatform } from '../platform/local-platform';
import { benchLayout, describeMachine, percentile, printResult, round, runBench } from './bench-support';
import { cpuFloor, cpuMsPerTenant, cpuSnapshot, throughputCeiling, writeSyscallsPerTenant } from './cpu-census';
import {
  makeOrders,
  onboard,
  Order,
  realisticSite,
  seedHosts,
  serviceMemoryMb,
  OnboardingRun,
  serviceRssMb,
  withBenchPlatform,
  ZERO_LATENCY_SITE,
} from './bench-platform';
import { DEFAULT_ASSUMPTIONS } from '@tpo/kaspersky-simulator';
import { directClients, onboardDirect } from './direct-onboarding';

/**
 * Onboarding benchmark, on its own database (TPO_BENCH_DATABASE, default tpo_bench) and stream:
 *  A. N tenants x M VMs against a zero-latency simulator, C ordered at once: the platform, then in
 *     the same run and against the same simulator a plain script making the same vendor calls
 *     (no NATS, no Postgres, tight polling); prints platform/direct ratios. Then one tenant alone.
 *     Each side first onboards TPO_BENCH_WARMUP tenants (default 2 x C), not counted.
 *  B. a bulk of B tenants x 2 VMs with realistic task durations (CreateTenant 5 s, agent
 *     installation 10 s, activation 2 s, others 0.2 s) against the single-tenant critical path.
 * Usage: npm run bench:onboarding [-- N M B C]   (defaults 50 5 500 16; B = 0 skips B). Ends with
 * one JSON line. TPO_BENCH_CPU_PROF=<dir> writes a CPU profile of every service and of the simulator (--cpu-prof).
 */
const [N, M, BULK, C] = [
  Number(process.argv[2] ?? 50),
  Number(process.argv[3] ?? 5),
  Number(process.argv[4] ?? 500),
  Number(process.argv[5] ?? 16),
];
/** `runs` runs of `one` after each other (each waits for the previous to end), as one run. */
async function oneAtATime(runs: number, one: () => Promise<OnboardingRun>): Promise<OnboardingRun> {
  const all: OnboardingRun = { latenciesMs: [], totalMs: 0, failed: 0 };
  for (let i = 0; i < runs; i++) {
    const r = await one();
    all.latenciesMs.push(...r.latenciesMs);
    all.totalMs += r.totalMs;
    all.failed += r.failed;
  }
  return all;
}

/** Tenants onboarded one at a time for the single-tenant comparison (the median of their latencies). */
const SINGLE_RUNS = 5;
/**
 * Tenants onboarded by each side before A is measured (TPO_BENCH_WARMUP, default 2 x C): the services
 * start right before A, so without it A's first tenants pay for compiling the code (V8 optimises hot
 * functions in the first seconds of load), new Postgres backends and their plan caches, and the
 * simulator's own warm-up, which only the platform's side met (the direct script ran second).
 * Both sides' virtual servers share the simulated site's limit, so the default shrinks to what A
 * leaves of it, and an explicit value beyond that is refused.
 */
const WARMUP_ROOM = Math.max(0, Math.floor((DEFAULT_ASSUMPTIONS.kscMaxVirtualServers - 2 * (N + SINGLE_RUNS)) / 2));
const WARMUP = Number(process.env.TPO_BENCH_WARMUP ?? Math.min(2 * C, WARMUP_ROOM));
if (!Number.isInteger(WARMUP) || WARMUP < 0 || WARMUP > WARMUP_ROOM)
  throw new Error(
    `TPO_BENCH_WARMUP must be a whole number of tenants from 0 to ${WARMUP_ROOM} (what ${N} tenants per side leave of the site's ${DEFAULT_ASSUMPTIONS.kscMaxVirtualServers} virtual servers), got ${process.env.TPO_BENCH_WARMUP}`,
  );

/** Both sides' warm-up (not counted): WARMUP tenants each, C at once. */
async function warmUp(p: LocalPlatform) {
  if (WARMUP === 0) return { tenants: 0 };
  const platform = await onboard(p, makeOrders(WARMUP, M, 'warmup'), C);
  const directRun = await direct(p, makeOrders(WARMUP, M, 'warmup-direct'), C);
  return {
    tenants: WARMUP,
    failed: platform.failed + directRun.failed,
    platformSeconds: round(platform.totalMs / 1000, 2),
    directSeconds: round(directRun.totalMs / 1000, 2),
  };
}
const cpuProf = process.env.TPO_BENCH_CPU_PROF
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.TPO_BENCH_CPU_PROF}`]
  : [];
const profile = {
  nodeArgs: [...cpuProf, ...(process.env.TPO_BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean)],
  simulatorNodeArgs: cpuProf,
};
/**
 * A's platform may run as many step jobs against the site at once as the direct script runs
 * onboardings (C): each of the services' job limits that C exceeds, JOB_SITE_CONCURRENCY (16) and
 * JOB_CONCURRENCY (32), is raised to C, as a provider sizes them for its servers. Without it, 200 x 5 at 32
 * compared 32 direct onboardings with 16 agent installations at once (the longest step), and the
 * platform idled a quarter of the cores at ~19 tenants/s (performance.md 11.ab).
 * TPO_BENCH_JOB_SITE_CONCURRENCY / TPO_BENCH_JOB_CONCURRENCY still override.
 */
const zeroLatencyOptions = {
  ...profile,
  serviceEnv: {
    ...(C > 16 && !process.env.TPO_BENCH_JOB_SITE_CONCURRENCY ? { JOB_SITE_CONCURRENCY: String(C) } : {}),
    ...(C > 32 && !process.env.TPO_BENCH_JOB_CONCURRENCY ? { JOB_CONCURRENCY: String(C) } : {}),
  },
};

interface RunFigures {
  tenants: number;
  failed: number;
  totalSeconds: number;
  tenantsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Simulator calls per tenant (IS / KSC), to show both sides did the same vendor work. */
  integrationServerCallsPerTenant: number;
  kscCallsPerTenant: number;
  /** Simulator calls per tenant, per vendor method (for comparing the two sides method by method). */
  callsPerTenantByMethod: Record<string, number>;
  /** New connections the simulator accepted during the run (each a TLS handshake with TLS on): few means keep-alive holds. */
  connectionsDuringRun: { integrationServer: number; ksc: number };
  /**
   * CPU per tenant by process during the run (cpu-census.ts): each service, `postgres` (the bench
   * database's backends), `nats-server`, `simulator`, `bench`; `platform` is the first three kinds.
   */
  cpuMsPerTenant: Record<string, number>;
  /** Write system calls per tenant by process (cpu-census.ts): each is a message sent on a socket, or part of one. */
  writeSyscallsPerTenant: Record<string, number>;
}

async function connections(p: LocalPlatform): Promise<{ integrationServer: number; ksc: number }> {
  return (await (
    await fetch(`${p.simulator.adminUrl}/sites/${p.simulator.endpoints[0].siteId}/connections`)
  ).json()) as { integrationServer: number; ksc: number };
}

async function counters(p: LocalPlatform): Promise<Record<string, number>> {
  return (await (
    await fetch(`${p.simulator.adminUrl}/sites/${p.simulator.endpoints[0].siteId}/counters`)
  ).json()) as Record<string, number>;
}

async function measure(
  p: LocalPlatform,
  tenants: number,
  run: () => Promise<{ latenciesMs: number[]; totalMs: number; failed: number }>,
): Promise<RunFigures> {
  const before = await counters(p);
  const connectionsBefore = await connections(p);
  const cpuBefore = await cpuSnapshot(p);
  const r = await run();
  const cpuAfter = await cpuSnapshot(p);
  const after = await counters(p);
  const connectionsAfter = await connections(p);
  let is = 0;
  let ksc = 0;
  const byMethod: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) byMethod[k] = round(d / tenants, 2);
    // KSC methods are `Class.Method`; Integration Server operations have no dot.
    if (k.includes('.')) ksc += d;
    else is += d;
  }
  return {
    tenants,
    failed: r.failed,
    totalSeconds: round(r.totalMs / 1000, 2),
    tenantsPerSecond: round((tenants / r.totalMs) * 1000, 2),
    p50Ms: Math.round(percentile(r.latenciesMs, 50)),
    p99Ms: Math.round(percentile(r.latenciesMs, 99)),
    integrationServerCallsPerTenant: round(is / tenants, 1),
    kscCallsPerTenant: round(ksc / tenants, 1),
    callsPerTenantByMethod: byMethod,
    connectionsDuringRun: {
      integrationServer: connectionsAfter.integrationServer - connectionsBefore.integrationServer,
      ksc: connectionsAfter.ksc - connectionsBefore.ksc,
    },
    cpuMsPerTenant: cpuMsPerTenant(cpuBefore, cpuAfter, tenants),
    writeSyscallsPerTenant: writeSyscallsPerTenant(cpuBefore, cpuAfter, tenants),
  };
}

/** The same tenants' vendor calls as a plain script, `concurrency` tenants at once. */
async function direct(p: LocalPlatform, orders: Order[], concurrency: number) {
  await seedHosts(p.simulator.adminUrl, p.simulator.endpoints[0].siteId, orders);
  const clients = directClients(p);
  const latenciesMs: number[] = [];
  let failed = 0;
  let next = 0;
  const started = Date.now();
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, orders.length) }, async () => {
        while (next < orders.length) {
          const o = orders[next++];
          const t0 = Date.now();
          try {
            await onboardDirect(clients, o);
            latenciesMs.push(Date.now() - t0);
          } catch (e) {
            failed++;
            console.error(`direct onboarding of ${o.tenantName} failed: ${(e as Error).message}`);
          }
        }
      }),
    );
  } finally {
    await clients.close();
  }
  return { latenciesMs, totalMs: Date.now() - started, failed };
}

interface StatementCount {
  calls: number;
  query: string;
}

/**
 * Statements per (role, query) of the bench database from pg_stat_statements (in the admin
 * database), or undefined when the extension is not loaded there. Deltas, so other databases'
 * work on a shared server does not count, and nothing is reset.
 */
async function statements(pg: Client, database: string): Promise<Map<string, StatementCount> | undefined> {
  try {
    const { rows } = await pg.query<{ k: string; calls: string; query: string }>(
      `SELECT s.userid::text || ':' || s.queryid::text AS k, s.calls::text AS calls, s.query
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1`,
      [database],
    );
    return new Map(rows.map((r) => [r.k, { calls: Number(r.calls), query: r.query }]));
  } catch {
    return undefined;
  }
}

/** Statement calls per tenant, total and the most frequent ones (query text shortened). */
function statementsPerTenant(
  before: Map<string, StatementCount> | undefined,
  after: Map<string, StatementCount> | undefined,
  tenants: number,
) {
  if (!before || !after) return { postgresStatementsPerTenant: null, topStatementsPerTenant: null };
  const byText = new Map<string, number>();
  let total = 0;
  for (const [k, a] of after) {
    const d = a.calls - (before.get(k)?.calls ?? 0);
    if (d <= 0) continue;
    total += d;
    const text = a.query.replace(/\s+/g, ' ').slice(0, 110);
    byText.set(text, (byText.get(text) ?? 0) + d);
  }
  const top = [...byText.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, 25)
    .map(([query, n]) => ({ perTenant: round(n / tenants, 1), query }));
  return { postgresStatementsPerTenant: round(total / tenants, 1), topStatementsPerTenant: top };
}

/**
 * Postgres write transactions and statements (pg_stat_statements, when loaded) of the bench during
 * `work`. Write transactions are counted by the transaction ids Postgres assigned meanwhile (the
 * next id, `pg_snapshot_xmax`, before and after): exact and immediate, unlike pg_stat_database's
 * counters, which each backend flushes at most once a second and, after a busy second, only after
 * 10 s idle (PG 15's PGSTAT_IDLE_INTERVAL): read right after the warm-up they counted its last
 * second into the run (49-68 "transactions" per tenant in 50 x 5 runs; 29.3 write transactions by
 * the ids). Read-only transactions get no id and are not counted. Ids are cluster-wide: nothing else
 * may write meanwhile.
 */
async function transactions<T>(work: () => Promise<T>): Promise<{
  result: T;
  writeTransactions: number;
  statements: [Map<string, StatementCount> | undefined, Map<string, StatementCount> | undefined];
}> {
  const layout = benchLayout();
  const pg = new Client({ connectionString: layout.adminUrl });
  await pg.connect();
  const nextXid = async () =>
    Number((await pg.query(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x`)).rows[0]?.x ?? 0);
  try {
    const before = await nextXid();
    const stmtsBefore = await statements(pg, layout.database);
    const result = await work();
    // The run's trailing writes (outbox marks wait up to markDelayMs, 1 s) belong to it.
    await new Promise((r) => setTimeout(r, 1500));
    const writeTransactions = (await nextXid()) - before;
    return { result, writeTransactions, statements: [stmtsBefore, await statements(pg, layout.database)] };
  } finally {
    await pg.end();
  }
}

const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : null);

/** Vendor methods the two sides call a different number of times per tenant: platform minus direct. */
function methodDifferences(platform: RunFigures, direct: RunFigures): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([
    ...Object.keys(platform.callsPerTenantByMethod),
    ...Object.keys(direct.callsPerTenantByMethod),
  ])) {
    const d = round((platform.callsPerTenantByMethod[k] ?? 0) - (direct.callsPerTenantByMethod[k] ?? 0), 2);
    if (Math.abs(d) >= 0.05) out[k] = d;
  }
  return out;
}

async function main(): Promise<void> {
  const machine = await describeMachine();

  const a = await withBenchPlatform(
    'ZERO',
    ZERO_LATENCY_SITE,
    async (p) => {
      const warmup = await warmUp(p);
      const {
        result: platform,
        writeTransactions: tx,
        statements: [stmtsBefore, stmtsAfter],
      } = await transactions(() => measure(p, N, () => onboard(p, makeOrders(N, M), C)));
      const directRun = await measure(p, N, () => direct(p, makeOrders(N, M, 'direct'), C));
      // One tenant at a time, SINGLE_RUNS times each, compared by the median: the direct script's
      // latency alone is bimodal (0.2 s or 1.2-2.2 s, whether the vAS's package retranslation is over
      // at its first check or must wait the server's lNextCheckDelay), so one run decided the verdict.
      const single = await measure(p, SINGLE_RUNS, () =>
        oneAtATime(SINGLE_RUNS, () => onboard(p, makeOrders(1, M), 1)),
      );
      const singleDirect = await measure(p, SINGLE_RUNS, () => direct(p, makeOrders(SINGLE_RUNS, M, 'direct'), 1));
      return {
        tenants: N,
        vmsPerTenant: M,
        atOnce: C,
        warmup,
        platform: {
          ...platform,
          postgresWriteTransactionsPerTenant: round(tx / N, 1),
          ...statementsPerTenant(stmtsBefore, stmtsAfter, N),
        },
        direct: directRun,
        callsPerTenantPlatformMinusDirect: methodDifferences(platform, directRun),
        throughputPlatformOverDirect: ratio(platform.tenantsPerSecond, directRun.tenantsPerSecond),
        // What the CPU alone allows each side here (the direct script is one event loop): 11.ac.
        cpuCeiling: throughputCeiling(platform, directRun, machine.cores),
        p50LatencyPlatformOverDirect: ratio(platform.p50Ms, directRun.p50Ms),
        singleTenant: {
          runs: SINGLE_RUNS,
          platformMs: single.p50Ms,
          directMs: singleDirect.p50Ms,
          platformOverDirect: ratio(single.p50Ms, singleDirect.p50Ms),
        },
      };
    },
    zeroLatencyOptions,
  );
  console.log('A. zero-latency simulator, platform vs direct script:', JSON.stringify(a));

  let b: Record<string, unknown> | undefined;
  if (BULK > 0) {
    // Separate platforms: the bulk alone may take all 500 virtual servers of the site.
    const single = await withBenchPlatform('SINGLE', realisticSite(), (p) => onboard(p, makeOrders(1, 2), 1), profile);
    b = await withBenchPlatform(
      'REAL',
      realisticSite(),
      async (p) => {
        let bulk: OnboardingRun = { latenciesMs: [], totalMs: 0, failed: 0 };
        const calls = await measure(p, BULK, async () => (bulk = await onboard(p, makeOrders(BULK, 2), C)));
        return {
          tenants: BULK,
          vmsPerTenant: 2,
          failed: bulk.failed,
          singleTenantCriticalPathSeconds: round(single.totalMs / 1000, 1),
          bulkTotalSeconds: round(bulk.totalMs / 1000, 1),
          bulkOverCriticalPath: round(bulk.totalMs / single.totalMs, 2),
          p50Seconds: round(percentile(bulk.latenciesMs, 50) / 1000, 1),
          p99Seconds: round(percentile(bulk.latenciesMs, 99) / 1000, 1),
          // Task polling shows here: with realistic durations the platform asks for task states while it waits.
          integrationServerCallsPerTenant: calls.integrationServerCallsPerTenant,
          kscCallsPerTenant: calls.kscCallsPerTenant,
          callsPerTenantByMethod: calls.callsPerTenantByMethod,
          cpuMsPerTenant: calls.cpuMsPerTenant,
          ...cpuFloor(calls.cpuMsPerTenant.all, BULK, bulk.totalMs, single.totalMs, machine.cores),
          writeSyscallsPerTenant: calls.writeSyscallsPerTenant,
          serviceRssMbAtEnd: serviceRssMb(p),
          // RSS = the node binary's mapped code (~50 MB) + V8 heap reserved (heapTotal) + off-heap.
          serviceMemoryMbAtEnd: await serviceMemoryMb(p),
        };
      },
      profile,
    );
    console.log('B. realistic durations:', JSON.stringify(b));
  }
  printResult('onboarding', machine, { zeroLatency: a, realistic: b ?? null });
}

runBench(main);
