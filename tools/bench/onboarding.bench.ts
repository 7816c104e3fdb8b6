import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { EVENT_CATALOG } from '@tpo/contracts';
import { applyTopology } from '@tpo/messaging';
import { connect } from 'nats';
import { bootstrapDatabase, loadTopology, migrateAll, resetLocalState } from '../bootstrap/bootstrap';
import { mintToken } from '@tpo/platform';
import { devSecrets, loadLocalLayout } from '../bootstrap/local-layout';
import { LocalPlatform, startLocalPlatform } from '../platform/local-platform';

/**
 * Onboarding benchmark, on its own database (tpo_bench) and stream:
 *  A. N tenants x M VMs against a zero-latency simulator: throughput and end-to-end latency;
 *  B. a bulk of B tenants with realistic simulated durations (CreateTenant 5 s, agent installation
 *     10 s, activation 2 s) against the single-tenant critical path measured first.
 * Usage: npm run bench:onboarding [-- N M B]   (defaults 50 5 500). Ends with one JSON line.
 */
const [N, M, BULK] = [Number(process.argv[2] ?? 50), Number(process.argv[3] ?? 5), Number(process.argv[4] ?? 500)];
const layout = loadLocalLayout({ database: 'tpo_bench' });

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function withPlatform<T>(name: string, simulator: object, work: (p: LocalPlatform) => Promise<T>): Promise<T> {
  await resetLocalState(layout, `BENCH_${name}`);
  await bootstrapDatabase(layout);
  await migrateAll(layout);
  const prefix = `bench${name.toLowerCase()}`;
  const nc = await connect({ servers: layout.natsUrl });
  await applyTopology(await nc.jetstreamManager(), loadTopology(), { prefix, streamName: `BENCH_${name}`, eventKeys: EVENT_CATALOG.map((d) => d.key) });
  const dir = mkdtempSync(join(tmpdir(), 'tpo-bench-'));
  writeFileSync(join(dir, 'simulator.json'), JSON.stringify({ sites: [simulator] }));
  const platform = await startLocalPlatform({
    layout,
    stateDir: dir,
    simulatorConfig: join(dir, 'simulator.json'),
    simulatorPorts: { integrationServer: 27271, ksc: 23299, admin: 27399 },
    ports: Object.fromEntries(layout.services.map((s, i) => [s.name, 3950 + i])),
    extraEnv: { NATS_STREAM: `BENCH_${name}`, NATS_SUBJECT_PREFIX: prefix, LOG_LEVEL: 'warn', JOB_CONCURRENCY: '128', JOB_SITE_CONCURRENCY: '128', EVENT_CONCURRENCY: '32' },
    license: { maxVms: 1_000_000 },
  });
  try {
    return await work(platform);
  } finally {
    await platform.stop();
    await (await nc.jetstreamManager()).streams.delete(`BENCH_${name}`).catch(() => undefined);
    await nc.close();
  }
}

/** Orders `count` tenants of `vms` VMs (bounded concurrency) and waits until all are ready. */
async function onboard(p: LocalPlatform, count: number, vms: number): Promise<{ latenciesMs: number[]; totalMs: number; failed: number }> {
  const auth = { Authorization: `Bearer ${await mintToken(devSecrets().jwtSecret, { subject: 'bench', roles: ['admin'], ttlSeconds: 7200 })}` };
  const orders = Array.from({ length: count }, () => {
    const id = randomUUID().slice(0, 8);
    return {
      orderId: `bench-${id}`,
      tenantName: `Bench ${id}`,
      adminAccountName: `bench-${id}`,
      vms: Array.from({ length: vms }, (_, i) => ({ biosUuid: randomUUID(), name: `b${id}-vm${i}`, osFamily: 'linux', address: `10.1.${i % 250}.1` })),
    };
  });
  const hosts = orders.flatMap((o) => o.vms.map((v) => ({ biosId: v.biosUuid, name: v.name })));
  for (let i = 0; i < hosts.length; i += 1000) {
    await fetch(`${p.simulator.adminUrl}/sites/${p.simulator.endpoints[0].siteId}/ksc/hosts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hosts: hosts.slice(i, i + 1000) }),
    });
  }
  const started = Date.now();
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < orders.length) {
        const o = orders[next++];
        const res = await fetch(`${p.url('tenant-service')}/v1/tenants`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(o) });
        if (res.status !== 202) throw new Error(`order refused: ${res.status} ${await res.text()}`);
        ids.push(((await res.json()) as { id: string }).id);
      }
    }),
  );
  for (;;) {
    const page = (await (await fetch(`${p.url('tenant-service')}/v1/tenants?status=onboarding&limit=1`, { headers: auth })).json()) as { total: number };
    if (page.total === 0) break;
    if (Date.now() - started > 30 * 60_000) throw new Error('bench timed out');
    await new Promise((r) => setTimeout(r, 500));
  }
  const totalMs = Date.now() - started;
  const latenciesMs: number[] = [];
  let failed = 0;
  for (let offset = 0; offset < count; offset += 100) {
    const page = (await (await fetch(`${p.url('tenant-service')}/v1/tenants?limit=100&offset=${offset}`, { headers: auth })).json()) as { items: { status: string; createdAt: string; readyAt: string | null }[] };
    for (const t of page.items) {
      if (t.status !== 'ready' || !t.readyAt) failed++;
      else latenciesMs.push(new Date(t.readyAt).getTime() - new Date(t.createdAt).getTime());
    }
  }
  return { latenciesMs, totalMs, failed };
}

async function main(): Promise<void> {
  const machine = { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  console.log('machine:', JSON.stringify(machine));

  const zero = await withPlatform('ZERO', { id: 'site-1', faults: { taskDurationsMs: { '*': 0 } } }, (p) => onboard(p, N, M));
  const a = {
    tenants: N,
    vmsPerTenant: M,
    failed: zero.failed,
    totalSeconds: Math.round(zero.totalMs / 100) / 10,
    tenantsPerMinute: Math.round((N / zero.totalMs) * 60_000),
    vmsPerSecond: Math.round(((N * M) / zero.totalMs) * 1000),
    p50Ms: percentile(zero.latenciesMs, 50),
    p99Ms: percentile(zero.latenciesMs, 99),
  };
  console.log('A. zero-latency simulator:', JSON.stringify(a));

  const realistic = { id: 'site-1', faults: { taskDurationsMs: { '*': 200, CreateTenant: 5000, ChangeTenantActivation: 2000, KLRI_TASK_REMOTE_INSTALL: 10_000 } } };
  // Separate platforms: the bulk alone may take all 500 virtual servers of the site.
  const single = await withPlatform('SINGLE', realistic, (p) => onboard(p, 1, 2));
  const b = await withPlatform('REAL', realistic, async (p) => {
    const bulk = await onboard(p, BULK, 2);
    return {
      tenants: BULK,
      vmsPerTenant: 2,
      failed: bulk.failed,
      singleTenantCriticalPathSeconds: Math.round(single.totalMs / 100) / 10,
      bulkTotalSeconds: Math.round(bulk.totalMs / 100) / 10,
      bulkOverCriticalPath: Math.round((bulk.totalMs / single.totalMs) * 10) / 10,
      p50Seconds: Math.round(percentile(bulk.latenciesMs, 50) / 100) / 10,
      p99Seconds: Math.round(percentile(bulk.latenciesMs, 99) / 100) / 10,
    };
  });
  console.log('B. realistic durations:', JSON.stringify(b));
  console.log(JSON.stringify({ bench: 'onboarding', at: new Date().toISOString(), machine, zeroLatency: a, realistic: b }));
}

main().catch((e) => {
  console.error(`bench failed: ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
