import 'reflect-metadata';
import { LocalPlatform } from '../platform/local-platform';
import { describeMachine, percentile, printResult, round, runBench } from './bench-support';
import { adminAuth, makeOrders, onboard, seedHosts, withBenchPlatform, ZERO_LATENCY_SITE } from './bench-platform';

/**
 * Lifecycle benchmark (issue 10), zero-latency simulator, one platform: N tenants x M VMs onboarded
 * (C ordered at once), then, side by side in the same run, the day-2 operations on the same tenants,
 * C at a time: add-VMs (A new VMs each; when the platform serves it), suspend, resume and deprovision.
 * For each: throughput (operations/s) and per-operation latency (request -> operation ended, from
 * the operation record). Usage: npm run bench:lifecycle [-- N M C A]  (defaults 100 2 16 2). Prints
 * the machine first; the last line is JSON.
 */
const [N, M, C, A] = [
  Number(process.argv[2] ?? 100),
  Number(process.argv[3] ?? 2),
  Number(process.argv[4] ?? 16),
  Number(process.argv[5] ?? 2),
];

interface OperationFigures {
  operations: number;
  failed: number;
  totalSeconds: number;
  operationsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

type Op = { id: string; state: string; createdAt: string; endedAt: string | null };

function figures(count: number, totalMs: number, latenciesMs: number[], failed: number): OperationFigures {
  return {
    operations: count,
    failed,
    totalSeconds: round(totalMs / 1000, 2),
    operationsPerSecond: round((count / totalMs) * 1000, 2),
    p50Ms: Math.round(percentile(latenciesMs, 50)),
    p99Ms: Math.round(percentile(latenciesMs, 99)),
  };
}

/** Requests `path` for every tenant (`concurrency` at once), then waits for each operation to end. */
async function operate(
  p: LocalPlatform,
  tenantIds: string[],
  path: (id: string) => string,
  body: (id: string) => object,
  concurrency: number,
): Promise<OperationFigures> {
  const auth = { ...(await adminAuth()), 'content-type': 'application/json' };
  const base = p.url('tenant-service');
  const started = Date.now();
  const opIds: string[] = [];
  let next = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tenantIds.length) }, async () => {
      while (next < tenantIds.length) {
        const id = tenantIds[next++];
        const res = await fetch(`${base}${path(id)}`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify(body(id)),
        });
        if (res.status !== 202) {
          refused++;
          console.error(`operation refused for ${id}: ${res.status} ${(await res.text()).slice(0, 300)}`);
          continue;
        }
        opIds.push(((await res.json()) as { id: string }).id);
      }
    }),
  );
  const latenciesMs: number[] = [];
  let failed = refused;
  const pending = new Set(opIds);
  while (pending.size > 0) {
    if (Date.now() - started > 30 * 60_000) throw new Error('bench timed out');
    for (const opId of [...pending]) {
      const op = (await (await fetch(`${base}/v1/operations/${opId}`, { headers: auth })).json()) as Op;
      if (op.state === 'running') continue;
      pending.delete(opId);
      if (op.state !== 'succeeded' || !op.endedAt) failed++;
      else latenciesMs.push(new Date(op.endedAt).getTime() - new Date(op.createdAt).getTime());
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 100));
  }
  return figures(tenantIds.length, Date.now() - started, latenciesMs, failed);
}

/** Whether tenant-service serves a route (e.g. add-VMs, which may not be in this build yet). */
async function serves(p: LocalPlatform, method: string, path: string): Promise<boolean> {
  const routes = (await (
    await fetch(`${p.url('tenant-service')}/v1/routes`, { headers: await adminAuth() })
  ).json()) as { method: string; path: string }[];
  return routes.some((r) => r.method === method && r.path === path);
}

async function main(): Promise<void> {
  const machine = await describeMachine();
  const result = await withBenchPlatform('LIFECYCLE', ZERO_LATENCY_SITE, async (p) => {
    const orders = makeOrders(N, M, 'life');
    const onboarding = await onboard(p, orders, C);
    const auth = await adminAuth();
    const page = (await (
      await fetch(`${p.url('tenant-service')}/v1/tenants?status=ready&limit=100`, { headers: auth })
    ).json()) as { total: number };
    // The ready tenants' ids (pages of 100).
    const ids: string[] = [];
    for (let offset = 0; offset < page.total; offset += 100) {
      const items = (
        (await (
          await fetch(`${p.url('tenant-service')}/v1/tenants?status=ready&limit=100&offset=${offset}`, {
            headers: auth,
          })
        ).json()) as { items: { id: string }[] }
      ).items;
      ids.push(...items.map((t) => t.id));
    }
    const out: Record<string, unknown> = {
      tenants: N,
      vmsPerTenant: M,
      atOnce: C,
      onboarding: figures(N, onboarding.totalMs, onboarding.latenciesMs, onboarding.failed),
    };
    if (await serves(p, 'POST', '/v1/tenants/:id/vms')) {
      const added = makeOrders(ids.length, A, 'add');
      const byTenant = new Map(ids.map((id, i) => [id, added[i].vms]));
      await seedHosts(p.simulator.adminUrl, p.simulator.endpoints[0].siteId, added);
      out.addVms = {
        vmsPerOperation: A,
        ...(await operate(
          p,
          ids,
          (id) => `/v1/tenants/${id}/vms`,
          (id) => ({ vms: byTenant.get(id) }),
          C,
        )),
      };
    } else {
      out.addVms = { notMeasured: 'this build serves no add-VMs route (POST /v1/tenants/:id/vms)' };
    }
    out.suspend = await operate(
      p,
      ids,
      (id) => `/v1/tenants/${id}/suspend`,
      () => ({ reason: 'bench' }),
      C,
    );
    out.resume = await operate(
      p,
      ids,
      (id) => `/v1/tenants/${id}/resume`,
      () => ({ reason: 'bench' }),
      C,
    );
    out.deprovision = await operate(
      p,
      ids,
      (id) => `/v1/tenants/${id}/deprovision`,
      () => ({ reason: 'bench' }),
      C,
    );
    const state = (await (
      await fetch(`${p.simulator.adminUrl}/sites/${p.simulator.endpoints[0].siteId}/state`)
    ).json()) as { integrationServer: { tenants: unknown[]; vms: unknown[] } };
    out.leftOnIntegrationServer = {
      tenants: state.integrationServer.tenants.length,
      vms: state.integrationServer.vms.length,
    };
    return out;
  });
  console.log('lifecycle, zero-latency simulator:', JSON.stringify(result));
  printResult('lifecycle', machine, result);
}

runBench(main);
