import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the CPU went, from the V8 CPU profiles the services write under
 * `TPO_BENCH_CPU_PROF=<dir> npm run bench:onboarding` (`--cpu-prof`): self time per area (our
 * libraries and apps, each npm package, Node internals, GC) and the hottest functions, per profile.
 * Usage: node -r ./tools/register-paths.js dist/tools/bench/profile-summary.js <dir> [top]
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** The area a frame belongs to: a package, one of our libs/apps, Node itself, or a V8 bucket. */
export function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const ours = /dist\/((?:libs|apps|tools)\/[^/]+)/.exec(url);
  if (ours) return ours[1];
  if (url.startsWith('node:')) return 'node-internals';
  return url;
}

export function summarize(profile: CpuProfile, top = 12) {
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = profile.samples.length > 0 ? totalMs / profile.samples.length : 0;
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const n of profile.nodes) {
    const ms = (n.hitCount ?? 0) * msPerSample;
    if (ms === 0) continue;
    const area = areaOf(n.callFrame.url, n.callFrame.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '')}:${n.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  }
  const idle = byArea.get('(idle)') ?? 0;
  const busy = totalMs - idle;
  const rank = (m: Map<string, number>) =>
    [...m]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => ({ what: k, ms: Math.round(v), percentOfBusy: Math.round((v / busy) * 1000) / 10 }));
  const app = profile.nodes.map((n) => /dist\/apps\/([^/]+)/.exec(n.callFrame.url)?.[1]).find((x) => x !== undefined);
  return {
    process: app ?? 'unknown',
    wallSeconds: Math.round(totalMs / 100) / 10,
    busySeconds: Math.round(busy / 100) / 10,
    areas: rank(byArea),
    functions: rank(byFunction),
  };
}

function main(): void {
  const dir = process.argv[2];
  const top = Number(process.argv[3] ?? 12);
  if (!dir) throw new Error('usage: profile-summary <dir with .cpuprofile files> [top]');
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.cpuprofile'))
    .sort()) {
    const s = summarize(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile, top);
    console.log(JSON.stringify({ profile: f, ...s }));
  }
}

if (require.main === module) main();
