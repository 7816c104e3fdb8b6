import { readdirSync, readFileSync } from 'node:fs';
import { Client } from 'pg';
import type { LocalPlatform } from '../platform/local-platform';
import { benchLayout, round } from './bench-support';

/**
 * Where a run's CPU went, by process: each service, the simulator, the bench database's Postgres
 * backends, nats-server and the bench itself, from `/proc/<pid>/stat` (utime + stime) before and
 * after the run (Linux only; elsewhere the census is empty). Unlike tenants per second this hardly
 * depends on what else the machine does, so it is the figure to compare a change by (issue 11,
 * docs/performance.md 11.j and 11.p). A process started during the run counts from zero; one that
 * ended during it is missed (the platform's processes and pooled connections live through a run).
 */
export type CpuSnapshot = Map<number, { kind: string; ms: number; writes?: number }>;

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) process `pid` has used so far, in ms; undefined when it is gone (or not Linux). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Write-family system calls (write, writev, ...) process `pid` has made so far, from
 * `/proc/<pid>/io`'s syscw; undefined when unreadable. A message sent on a socket by Node or
 * nats-server is one of them; Postgres backends answer with send(), which syscw does not count.
 * On this kind of machine each system call is a large share of a round trip's cost (11.u, 11.x).
 */
export function processWriteSyscalls(pid: number): number | undefined {
  try {
    const m = /^syscw:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function pidsNamed(comm: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === comm) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU time so far of every process of the platform `p` (and of this bench process), with the Postgres
 * backends of the bench's database and nats-server. `{ processes: [] }` for a bench that runs its
 * services in its own process (bench:backbone).
 */
export async function cpuSnapshot(p: Pick<LocalPlatform, 'processes'>): Promise<CpuSnapshot> {
  const out: CpuSnapshot = new Map();
  const add = (pid: number | undefined, kind: string) => {
    if (pid === undefined) return;
    const ms = processCpuMs(pid);
    if (ms !== undefined) out.set(pid, { kind, ms, writes: processWriteSyscalls(pid) });
  };
  for (const proc of p.processes)
    if (proc.child.exitCode === null)
      add(proc.child.pid, proc.name === 'kaspersky-simulator' ? 'simulator' : proc.name);
  const layout = benchLayout();
  const pg = new Client({ connectionString: layout.adminUrl });
  try {
    await pg.connect();
    const { rows } = await pg.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [
      layout.database,
    ]);
    for (const r of rows) add(r.pid, 'postgres');
  } finally {
    await pg.end().catch(() => undefined);
  }
  for (const pid of pidsNamed('nats-server')) add(pid, 'nats-server');
  add(process.pid, 'bench');
  return out;
}

/**
 * Per tenant, by process kind, how much of `measure` each kind's processes used between two
 * snapshots (a process without a figure is left out), largest first; `totals` adds the sums of
 * the kinds each predicate keeps, under its name. Rounded to `decimals` places (0.1 by default).
 */
function perTenantByKind(
  before: CpuSnapshot,
  after: CpuSnapshot,
  tenants: number,
  measure: (s: { kind: string; ms: number; writes?: number }) => number | undefined,
  totals: Record<string, (kind: string) => boolean>,
  decimals = 1,
): Record<string, number> {
  const byKind: Record<string, number> = {};
  for (const [pid, a] of after) {
    const now = measure(a);
    if (now === undefined) continue;
    const was = before.get(pid);
    const d = now - ((was && measure(was)) ?? 0);
    // A process found idle in the window is listed with 0 (a short run may give one no tick at all).
    if (d >= 0) byKind[a.kind] = (byKind[a.kind] ?? 0) + d;
  }
  const scale = 10 ** decimals;
  const per = (v: number) => Math.round((v / Math.max(1, tenants)) * scale) / scale;
  const out: Record<string, number> = {};
  const sums = Object.fromEntries(Object.keys(totals).map((t) => [t, 0]));
  for (const [kind, v] of Object.entries(byKind).sort((x, y) => y[1] - x[1])) {
    out[kind] = per(v);
    for (const [t, keep] of Object.entries(totals)) if (keep(kind)) sums[t] += v;
  }
  for (const [t, v] of Object.entries(sums)) out[t] = per(v);
  return out;
}

/** The stand-ins for the vendor servers and the order system: not the platform's. */
const STAND_INS = ['simulator', 'bench'];

/**
 * Milliseconds of CPU per tenant (or per any unit of work) by process kind between two snapshots,
 * plus `platform` (the five services, their Postgres backends and NATS) and `all`, to `decimals`
 * places.
 */
export function cpuMsPerTenant(
  before: CpuSnapshot,
  after: CpuSnapshot,
  tenants: number,
  decimals = 1,
): Record<string, number> {
  return perTenantByKind(
    before,
    after,
    tenants,
    (s) => s.ms,
    { platform: (kind) => !STAND_INS.includes(kind), all: () => true },
    decimals,
  );
}

/**
 * Write system calls per tenant by process kind between two snapshots (Node processes and
 * nats-server; Postgres' backends are not counted, see processWriteSyscalls), plus `services`,
 * the five services together.
 */
export function writeSyscallsPerTenant(
  before: CpuSnapshot,
  after: CpuSnapshot,
  tenants: number,
): Record<string, number> {
  return perTenantByKind(before, after, tenants, (s) => (s.kind === 'postgres' ? undefined : s.writes), {
    services: (kind) => !STAND_INS.includes(kind) && kind !== 'nats-server',
  });
}

/**
 * What the bulk's CPU alone allows on this machine. Every process of the run (services, Postgres,
 * NATS, the simulator, the bench) shares its cores, so the bulk cannot end before its CPU time
 * divided by the cores, however well the work overlaps the vendor's waits: when that floor is
 * above the target, only less CPU per tenant can meet it. `cpuMsPerTenantFor1_5x` is the CPU per
 * tenant at which the floor is 1.5x the critical path (what the cores allow, at full use).
 */
export function cpuFloor(cpuMsPerTenant: number, tenants: number, bulkMs: number, criticalMs: number, cores: number) {
  const floorMs = (cpuMsPerTenant * tenants) / cores;
  return {
    coresBusyAverage: round((cpuMsPerTenant * tenants) / bulkMs, 2),
    cpuFloorSeconds: round(floorMs / 1000, 1),
    cpuFloorOverCriticalPath: round(floorMs / criticalMs, 2),
    cpuMsPerTenantFor1_5x: round((1.5 * criticalMs * cores) / tenants, 1),
  };
}

/** One side of part A as the CPU census saw it: CPU per tenant (`all`, and the bench process's own) and its pace. */
export interface CeilingInput {
  cpuMsPerTenant: Record<string, number>;
  tenantsPerSecond: number;
}

/**
 * What the CPU alone allows part A's two sides (P1) on this machine. The platform's work spreads
 * over every process, so its pace cannot pass the cores divided by its CPU per tenant. The direct
 * script runs every onboarding in the bench's one event loop: its pace cannot pass one core divided
 * by the bench's CPU per tenant either (nor the cores divided by all of its CPU, the simulator's
 * included). `ratioCeiling` is the platform/direct ratio with both at their ceilings: the best the
 * platform can reach against a direct script that runs at its own (a direct script held below it by
 * its latencies, as with 16 onboardings at once, leaves more room). `platformCpuMsPerTenantFor0_8`
 * is the platform's CPU per tenant (all processes) at which its ceiling is 80% of the direct
 * script's measured pace.
 */
export function throughputCeiling(platform: CeilingInput, direct: CeilingInput, cores: number) {
  const pace = (msPerTenant: number, ofCores: number) => (msPerTenant > 0 ? (1000 * ofCores) / msPerTenant : Infinity);
  const platformCeiling = pace(platform.cpuMsPerTenant.all, cores);
  const directCeiling = Math.min(pace(direct.cpuMsPerTenant.all, cores), pace(direct.cpuMsPerTenant.bench, 1));
  const busy = (side: CeilingInput, kind: string) =>
    round(((side.cpuMsPerTenant[kind] ?? 0) * side.tenantsPerSecond) / 1000, 2);
  return {
    platformCoresBusy: busy(platform, 'all'),
    directCoresBusy: busy(direct, 'all'),
    directBenchLoopBusy: busy(direct, 'bench'),
    platformTenantsPerSecondCeiling: round(platformCeiling, 1),
    directTenantsPerSecondCeiling: round(directCeiling, 1),
    ratioCeiling: round(platformCeiling / directCeiling, 2),
    platformCpuMsPerTenantFor0_8:
      direct.tenantsPerSecond > 0 ? round((1000 * cores) / (0.8 * direct.tenantsPerSecond), 1) : null,
  };
}
