import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeMachine, printResult, round, runBench } from './bench-support';
import { processCpuMs } from './cpu-census';
import { adminAuth, makeOrders, onboard, withBenchPlatform, ZERO_LATENCY_SITE } from './bench-platform';

/**
 * REST (issue 11, P4): `GET /v1/tenants/:id` and the tenant list of tenant-service under load
 * (autocannon, C connections for D seconds each), beside `GET /health/live` of the same process as
 * its floor. Authentication, validation, rate limiting (lifted high enough not to answer 429) and
 * the audit/route machinery all run, as in production. Tenants are onboarded first so that there is
 * something to read. autocannon runs in a child process (rest-load.ts), not in the bench's event loop.
 * Usage: npm run bench:rest [-- SECONDS CONNECTIONS TENANTS]  (defaults 10 32 20).
 * TPO_BENCH_CPU_PROF=<dir> starts the services with --cpu-prof (see profile-summary.ts).
 * Ends with one JSON line; each load prints the 1-minute load average before and after it.
 */
const [SECONDS, CONNECTIONS, TENANTS] = [
  Number(process.argv[2] ?? 10),
  Number(process.argv[3] ?? 32),
  Number(process.argv[4] ?? 20),
];

const run = promisify(execFile);

/** CPU time (user + system) a process has used so far, in ms; NaN when unknown. */
function cpuMsOf(pid: number | undefined): number {
  return pid ? (processCpuMs(pid) ?? NaN) : NaN;
}

/**
 * autocannon in a child process against `url`; besides throughput and latency, the service's own CPU
 * time per answered request, which does not depend on how much of the machine others take.
 */
async function load(url: string, headers: Record<string, string>, servicePid: number | undefined) {
  const loadBefore = round(loadavg()[0], 2);
  const cpuBefore = cpuMsOf(servicePid);
  const job = JSON.stringify({ url, headers, connections: CONNECTIONS, seconds: SECONDS });
  const { stdout } = await run(process.execPath, [...process.execArgv, join(__dirname, 'rest-load.js'), job], {
    maxBuffer: 1024 * 1024,
  });
  const cpuMs = cpuMsOf(servicePid) - cpuBefore;
  const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    requests: number;
    requestsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    non2xx: number;
    errors: number;
  };
  const figures = {
    ...r,
    p50Ms: round(r.p50Ms, 1),
    p99Ms: round(r.p99Ms, 1),
    serviceCpuMsPerRequest: r.requests > 0 ? round(cpuMs / r.requests, 3) : null,
    loadAverage: [loadBefore, round(loadavg()[0], 2)],
  };
  console.log(`${url.replace(/^https?:\/\/[^/]+/, '')}: ${JSON.stringify(figures)}`);
  return figures;
}

async function main(): Promise<void> {
  const machine = await describeMachine();
  const cpuProf = process.env.TPO_BENCH_CPU_PROF;
  const figures = await withBenchPlatform(
    'REST',
    ZERO_LATENCY_SITE,
    async (p) => {
      const onboarded = await onboard(p, makeOrders(TENANTS, 2), 8);
      if (onboarded.failed > 0) throw new Error(`${onboarded.failed} tenants failed to onboard`);
      const auth = await adminAuth();
      const base = p.url('tenant-service');
      const list = (await (await fetch(`${base}/v1/tenants?limit=1`, { headers: auth })).json()) as {
        items: { id: string }[];
      };
      const id = list.items[0].id;
      const pid = p.processes.find((x) => x.name === 'tenant-service')?.child.pid;
      const health = await load(`${base}/health/live`, {}, pid);
      const byId = await load(`${base}/v1/tenants/${id}`, auth, pid);
      const page = await load(`${base}/v1/tenants?limit=20`, auth, pid);
      return {
        seconds: SECONDS,
        connections: CONNECTIONS,
        tenantsInDatabase: TENANTS,
        healthLive: health,
        tenantById: byId,
        tenantList: page,
      };
    },
    { nodeArgs: cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [] },
  );
  console.log('rest:', JSON.stringify(figures));
  printResult('rest', machine, figures);
}

runBench(main);
