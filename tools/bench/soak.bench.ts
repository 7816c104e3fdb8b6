import 'reflect-metadata';
import { describeMachine, printResult, round, runBench } from './bench-support';
import {
  adminAuth,
  makeOrders,
  seedHosts,
  serviceMemoryMb,
  serviceRssMb,
  ServiceMemory,
  withBenchPlatform,
  ZERO_LATENCY_SITE,
} from './bench-platform';

/**
 * Memory soak (issue 11, P5): continuous onboarding against the zero-latency simulator for D
 * seconds, K tenants in flight at all times, sampling each service's resident memory. Growth is
 * printed two ways: from the first sample after a warm-up (a fifth of the run) to the last one
 * (`rssGrowthPercent`), and from the peak of the run's second fifth to the peak of its last fifth
 * (`rssPeakGrowthPercent`, which a garbage-collection saw-tooth does not swing).
 * Usage: npm run bench:soak [-- SECONDS IN_FLIGHT VMS]   (defaults 600 8 2). Ends with one JSON line.
 */
const [SECONDS, IN_FLIGHT, VMS] = [
  Number(process.argv[2] ?? 600),
  Number(process.argv[3] ?? 8),
  Number(process.argv[4] ?? 2),
];

async function main(): Promise<void> {
  const machine = await describeMachine();
  // A site holds at most 500 tenants, and a soak never deprovisions: one site per minute of soak
  // (room for 8 tenants/s). One per 150 s ran out of room on a quiet machine at 12:08 on 2026-12-01
  // (2,000 tenants ready before the end of a 10-minute soak: every order then refused).
  const sites = Math.max(1, Math.ceil(SECONDS / 60));
  const figures = await withBenchPlatform(
    'SOAK',
    ZERO_LATENCY_SITE,
    async (p) => {
      const auth = { ...(await adminAuth()), 'content-type': 'application/json' };
      const tenantUrl = p.url('tenant-service');
      const samples: { atSeconds: number; rssMb: Record<string, number> }[] = [];
      const started = Date.now();
      const deadline = started + SECONDS * 1000;
      const sampleEveryMs = Math.max(1000, (SECONDS * 1000) / 20);
      let ready = 0;
      let failed = 0;
      // The heap breakdown (from each service's /metrics) after warm-up and at the end.
      let memoryAfterWarmUp: Record<string, ServiceMemory> | undefined;
      const sampler = setInterval(() => {
        const atSeconds = round((Date.now() - started) / 1000, 0);
        samples.push({ atSeconds, rssMb: serviceRssMb(p) });
        if (!memoryAfterWarmUp && atSeconds >= SECONDS / 5)
          void serviceMemoryMb(p).then((m) => (memoryAfterWarmUp ??= m));
      }, sampleEveryMs);
      const worker = async () => {
        while (Date.now() < deadline) {
          const [order] = makeOrders(1, VMS, 'soak');
          // The VMs exist on every site's KSC; placement picks a site with room.
          for (const e of p.simulator.endpoints) await seedHosts(p.simulator.adminUrl, e.siteId, [order]);
          const res = await fetch(`${tenantUrl}/v1/tenants`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify(order),
          });
          if (res.status !== 202) throw new Error(`order refused: ${res.status} ${await res.text()}`);
          const { id } = (await res.json()) as { id: string };
          for (;;) {
            const t = (await (await fetch(`${tenantUrl}/v1/tenants/${id}`, { headers: auth })).json()) as {
              status: string;
            };
            if (t.status === 'ready') ready++;
            else if (t.status === 'failed') failed++;
            else {
              await new Promise((r) => setTimeout(r, 100));
              continue;
            }
            break;
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      } finally {
        clearInterval(sampler);
      }
      samples.push({ atSeconds: round((Date.now() - started) / 1000, 0), rssMb: serviceRssMb(p) });
      const memoryAtEnd = await serviceMemoryMb(p);
      const warm = samples.find((s) => s.atSeconds >= SECONDS / 5) ?? samples[0];
      const last = samples[samples.length - 1];
      /** Growth from `from` MB to `to` MB, in percent (one decimal). */
      const growth = (from: number, to: number) => round(((to - from) / Math.max(1, from)) * 100, 1);
      const growthPercent = Object.fromEntries(
        Object.entries(last.rssMb).map(([name, mb]) => [name, growth(warm.rssMb[name] ?? mb, mb)]),
      );
      // RSS saw-tooths with garbage collection (registration-service's moved 132-171 MB from sample to
      // sample in one run): two single samples measure where each fell on its tooth as much as any
      // growth. The peak of the second fifth of the run (after the warm-up) against the peak of the
      // last fifth compares like with like; a leak raises the later peaks.
      const peakIn = (from: number, to: number) => {
        const inWindow = samples.filter((s) => s.atSeconds >= from && s.atSeconds <= to);
        return Object.fromEntries(
          Object.keys(last.rssMb).map((name) => [
            name,
            inWindow.length === 0 ? null : Math.max(...inWindow.map((s) => s.rssMb[name] ?? 0)),
          ]),
        );
      };
      const earlyPeak = peakIn(SECONDS / 5, (2 * SECONDS) / 5);
      const latePeak = peakIn((4 * SECONDS) / 5, Infinity);
      const peakGrowthPercent = Object.fromEntries(
        Object.entries(latePeak).map(([name, mb]) => {
          const early = earlyPeak[name];
          return [name, mb === null || early === null ? null : growth(early, mb)];
        }),
      );
      return {
        seconds: SECONDS,
        inFlight: IN_FLIGHT,
        vmsPerTenant: VMS,
        tenantsReady: ready,
        tenantsFailed: failed,
        rssMbAfterWarmUp: warm.rssMb,
        rssMbAtEnd: last.rssMb,
        rssGrowthPercent: growthPercent,
        rssPeakSecondFifthMb: earlyPeak,
        rssPeakLastFifthMb: latePeak,
        rssPeakGrowthPercent: peakGrowthPercent,
        maxRssMb: Math.max(...samples.flatMap((s) => Object.values(s.rssMb))),
        memoryMbAfterWarmUp: memoryAfterWarmUp ?? null,
        memoryMbAtEnd: memoryAtEnd,
        samples,
      };
    },
    { sites },
  );
  console.log('soak:', JSON.stringify({ ...figures, samples: undefined }));
  printResult('soak', machine, figures);
}

runBench(main);
