import 'reflect-metadata';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeMachine, printResult, runBench } from './bench-support';
import { processCpuMs } from './cpu-census';
import { makeOrders, onboard, realisticSite, serviceMemoryMb, serviceRssMb, withBenchPlatform } from './bench-platform';

/**
 * Where a service's memory goes during the P2 bulk (issue 11, P5; docs/performance.md fix 9): realistic
 * durations, tenants ordered in phases (e.g. 100 then 300), after each phase and after a quiet period each
 * service's memory breakdown from its /metrics (RSS, V8 heap reserved and used, old and new space, GC
 * seconds), RSS split into anonymous memory and mapped files, CPU seconds, the peaks sampled every 3 s,
 * and heap snapshots (SIGUSR2 with --heapsnapshot-signal) of the named services after each quiet period
 * (a snapshot runs a full GC first: the heap used after it is the live heap; taking it grows the RSS).
 * Usage: node -r ./tools/register-paths.js dist/tools/bench/memory-probe.js
 *          [PHASES=100,300] [CONCURRENCY=16] [QUIET_SECONDS=30] [SNAPSHOT_DIR=/tmp/tpo-heap]
 *          [SERVICES=tenant-service,agent-install-service | none]
 * TPO_PROBE_NODE_ARGS adds Node.js flags to the services (after SERVICE_NODE_FLAGS, so they win).
 */
const phases = (process.argv[2] ?? '100,300').split(',').map(Number);
const C = Number(process.argv[3] ?? 16);
const QUIET = Number(process.argv[4] ?? 30);
const DIR = resolve(process.argv[5] ?? '/tmp/tpo-heap');
const SNAP = (process.argv[6] ?? 'tenant-service,agent-install-service').split(',').filter(Boolean);

async function snapshot(pid: number, name: string, tag: string): Promise<void> {
  const before = new Set(readdirSync(DIR));
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const fresh = readdirSync(DIR).filter((f) => !before.has(f) && f.includes(`.${pid}.`));
    if (fresh.length) {
      const f = join(DIR, fresh[0]);
      const s1 = statSync(f).size;
      await new Promise((r) => setTimeout(r, 2000));
      if (statSync(f).size === s1 && s1 > 0) {
        console.log(`snapshot ${name} ${tag}: ${f} ${Math.round(s1 / 2 ** 20)} MB`);
        return;
      }
    }
  }
}

/** RssAnon / RssFile (MB) of a process (anonymous memory: heaps, malloc; mapped files: the node binary's code) and its CPU time. */
function rssSplit(pid: number): { anon: number; file: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const cpuSeconds = (processCpuMs(pid) ?? NaN) / 1000;
  return { anon: Math.round(kb('RssAnon') / 1024), file: Math.round(kb('RssFile') / 1024), cpuSeconds };
}

async function main(): Promise<void> {
  const machine = await describeMachine();
  mkdirSync(DIR, { recursive: true });
  const figures = await withBenchPlatform(
    'MEM',
    realisticSite(),
    async (p) => {
      const out: Record<string, unknown>[] = [];
      let total = 0;
      const peak: Record<string, { heapUsed: number; heapTotal: number; rss: number }> = {};
      const sampler = setInterval(() => {
        void serviceMemoryMb(p).then((m) => {
          for (const [k, v] of Object.entries(m)) {
            const q = (peak[k] ??= { heapUsed: 0, heapTotal: 0, rss: 0 });
            q.heapUsed = Math.max(q.heapUsed, v.heapUsed);
            q.heapTotal = Math.max(q.heapTotal, v.heapTotal);
            q.rss = Math.max(q.rss, v.rss);
          }
        });
      }, 3000);
      const mark = async (tag: string, snap: boolean) => {
        const memory = await serviceMemoryMb(p);
        const split = Object.fromEntries(
          p.processes
            .filter((x) => x.child.exitCode === null && x.child.pid)
            .map((x) => [x.name, rssSplit(x.child.pid!)]),
        );
        console.log(tag, JSON.stringify({ rss: serviceRssMb(p), memory, split, peak }));
        out.push({ tag, memory });
        if (!snap) return;
        for (const proc of p.processes) {
          if (SNAP.includes(proc.name) && proc.child.exitCode === null && proc.child.pid)
            await snapshot(proc.child.pid, proc.name, tag);
        }
        console.log(`${tag}+snapshot`, JSON.stringify(await serviceMemoryMb(p)));
      };
      await mark('start', false);
      for (const n of phases) {
        const run = await onboard(p, makeOrders(n, 2), C);
        total += n;
        console.log(`phase ${n}: ${run.totalMs} ms, failed ${run.failed}`);
        await mark(`after-${total}`, false);
        await new Promise((r) => setTimeout(r, QUIET * 1000));
        await mark(`after-${total}-quiet-${QUIET}s`, SNAP.length > 0);
      }
      clearInterval(sampler);
      return out;
    },
    {
      nodeArgs: [
        ...(process.env.TPO_PROBE_NODE_ARGS ?? '').split(' ').filter(Boolean),
        '--heapsnapshot-signal=SIGUSR2',
        `--diagnostic-dir=${DIR}`,
      ],
    },
  );
  printResult('memory-probe', machine, { phases: figures });
}

runBench(main);
