import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { IntegrationServerClient } from '@tpo/integration-server-client';
import { startSimulator } from '@tpo/kaspersky-simulator';
import { describeMachine, percentile, printResult, runBench } from './bench-support';

/**
 * Register-VM round trips per second, client -> simulator: one VM per call (the vendor API),
 * keep-alive, bounded concurrency. Usage: npm run bench:register [-- VMS CONCURRENCY]
 * Ends with one JSON line. The later target is 10,000 VMs of one tenant at >= 2,000 VMs/s.
 */
const VMS = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = Number(process.argv[3] ?? 32);
const PASSWORD = randomUUID();

async function main(): Promise<void> {
  const machine = await describeMachine();
  const sim = await startSimulator({
    sites: [
      {
        id: 'bench',
        isPassword: PASSWORD,
        kscAccount: { name: 'svc', password: randomUUID() },
        faults: { taskDurationsMs: { '*': 1 } },
      },
    ],
    integrationServerPortBase: 0,
    kscPortBase: 0,
    tls: 'off',
  });
  const client = new IntegrationServerClient({
    baseUrl: sim.endpoints[0].integrationServerUrl,
    password: PASSWORD,
    connections: CONCURRENCY,
  });
  try {
    const created = await client.createTenant({ name: 'bench-tenant', type: 'Simple' });
    const tenantId = (await client.waitForTask(created.taskId, { initialDelayMs: 5 })).result!.tenant!.id;
    // Warm-up (connections, JIT), not measured.
    for (let i = 0; i < 200; i++) await client.registerVm(tenantId, { biosId: randomUUID() });
    const ids = Array.from({ length: VMS }, () => randomUUID());
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ids.length) {
          const biosId = ids[next++];
          const t0 = performance.now();
          await client.registerVm(tenantId, { biosId, name: `vm-${biosId.slice(0, 8)}` });
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const figures = {
      vms: VMS,
      concurrency: CONCURRENCY,
      vmsPerSec: Math.round(VMS / seconds),
      p50Ms: Math.round(percentile(latencies, 50) * 100) / 100,
      p99Ms: Math.round(percentile(latencies, 99) * 100) / 100,
      note: 'client and simulator share one Node process and its two cores; plain HTTP, zero simulated latency',
    };
    console.log(`registered ${VMS} VMs with ${CONCURRENCY} in flight in ${seconds.toFixed(2)} s`);
    printResult('register-vms', machine, figures);
  } finally {
    await client.close();
    await sim.close();
  }
}

runBench(main);
