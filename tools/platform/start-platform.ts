import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { loadLocalLayout, ROOT_DIR, serviceEnv, ServiceLayout } from '../bootstrap/local-layout';

/**
 * Starts the five services as child processes (JSON logs prefixed by service), waits until each
 * is ready, runs the demo, then keeps running until Ctrl-C (or exits after the demo with --once).
 */
const once = process.argv.includes('--once');
const layout = loadLocalLayout();
const children = new Map<string, ChildProcess>();

function startService(s: ServiceLayout): ChildProcess {
  const child = spawn(process.execPath, ['-r', resolve(ROOT_DIR, 'tools', 'register-paths.js'), resolve(ROOT_DIR, 'dist', 'apps', s.name, 'src', 'main.js')], {
    env: { ...process.env, ...serviceEnv(layout, s), LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${s.name}]`.padEnd(24);
  const forward = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
    let buf = '';
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      if (!process.env.TPO_QUIET) for (const line of lines) out.write(`${prefix} ${line}\n`);
    });
  };
  forward(child.stdout!, process.stdout);
  forward(child.stderr!, process.stderr);
  child.on('exit', (code, signal) => {
    children.delete(s.name);
    if (!shuttingDown) {
      process.stderr.write(`${prefix} exited (${code ?? signal}); stopping the platform\n`);
      void shutdown(1);
    }
  });
  return child;
}

async function waitReady(s: ServiceLayout, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${s.port}/health/ready`);
      if (res.ok) return;
      last = await res.text();
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${s.name} not ready after ${timeoutMs} ms: ${last}`);
}

async function demoPing(): Promise<void> {
  const tenant = layout.services.find((s) => s.name === 'tenant-service')!;
  const res = await fetch(`http://127.0.0.1:${tenant.port}/v1/backbone/pings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ note: 'platform start demo' }),
  });
  if (!res.ok) throw new Error(`starting the demo ping failed: ${res.status} ${await res.text()}`);
  const { pingId, route } = (await res.json()) as { pingId: string; route: string[] };
  console.log(`\n[demo] backbone ping ${pingId} sent along ${route.join(' -> ')}`);
  const started = Date.now();
  for (let hop = 0; hop < route.length; hop++) {
    const svc = layout.services.find((s) => s.name === route[hop])!;
    for (;;) {
      const hops = (await (await fetch(`http://127.0.0.1:${svc.port}/v1/backbone/pings/${pingId}`)).json()) as { hops: { hop: number }[] };
      if (hops.hops.some((h) => h.hop === hop)) break;
      if (Date.now() - started > 30_000) throw new Error(`ping stuck before hop ${hop} (${svc.name})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    console.log(`[demo]   hop ${hop}: ${route[hop]} recorded it (+${Date.now() - started} ms)`);
  }
  console.log(`[demo] the event crossed all ${route.length} services through outbox -> JetStream -> inbox in ${Date.now() - started} ms\n`);
}

let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  shuttingDown = true;
  const exits = [...children.values()].map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of children.values()) c.kill('SIGTERM');
  await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 15_000))]);
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function main(): Promise<void> {
  for (const s of layout.services) children.set(s.name, startService(s));
  await Promise.all(layout.services.map((s) => waitReady(s)));
  console.log(`\n[platform] all services ready: ${layout.services.map((s) => `${s.name} http://127.0.0.1:${s.port}`).join(', ')}`);
  await demoPing();
  if (once) return shutdown(0);
  console.log('[platform] running; Ctrl-C to stop');
}

main().catch((e) => {
  console.error(`[platform] ${e instanceof Error ? e.message : String(e)}`);
  void shutdown(1);
});
