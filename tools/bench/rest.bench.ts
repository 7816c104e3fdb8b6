import 'reflect-metadata';
import autocannon from 'autocannon';
import { describeMachine, printResult, round, runBench } from './bench-support';
import { adminAuth, makeOrders, onboard, withBenchPlatform, ZERO_LATENCY_SITE } from './bench-platform';

/**
 * REST (issue 11, P4): `GET /v1/tenants/:id` and the tenant list of tenant-service under load
 * (autocannon, C connections for D seconds each), beside `GET /health/live` of the same process as
 * its floor. Authentication, validation, rate limiting (lifted high enough not to answer 429) and
 * the audit/route machinery all run, as in production. Tenants are onboarded first so that there is
 * something to read. Usage: npm run bench:rest [-- SECONDS CONNECTIONS TENANTS]  (defaults 10 32 20).
 * Ends with one JSON line.
 */
const [SECONDS, CONNECTIONS, TENANTS] = [
  Number(process.argv[2] ?? 10),
  Number(process.argv[3] ?? 32),
  Number(process.argv[4] ?? 20),
];

async function load(url: string, headers: Record<string, string>) {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  return {
    requestsPerSecond: Math.round(r.requests.average),
    p50Ms: round(r.latency.p50, 1),
    p99Ms: round(r.latency.p99, 1),
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

async function main(): Promise<void> {
  const machine = await describeMachine();
  const figures = await withBenchPlatform('REST', ZERO_LATENCY_SITE, async (p) => {
    const onboarded = await onboard(p, makeOrders(TENANTS, 2), 8);
    if (onboarded.failed > 0) throw new Error(`${onboarded.failed} tenants failed to onboard`);
    const auth = await adminAuth();
    const base = p.url('tenant-service');
    const list = (await (await fetch(`${base}/v1/tenants?limit=1`, { headers: auth })).json()) as {
      items: { id: string }[];
    };
    const id = list.items[0].id;
    const health = await load(`${base}/health/live`, {});
    const byId = await load(`${base}/v1/tenants/${id}`, auth);
    const page = await load(`${base}/v1/tenants?limit=20`, auth);
    return {
      seconds: SECONDS,
      connections: CONNECTIONS,
      tenantsInDatabase: TENANTS,
      healthLive: health,
      tenantById: byId,
      tenantList: page,
    };
  });
  console.log('rest:', JSON.stringify(figures));
  printResult('rest', machine, figures);
}

runBench(main);
