import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { ROOT_DIR } from '../bootstrap/local-layout';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Everything the process wrote (for tests that scan logs). */
  output: string[];
  exit: Promise<number | null>;
}

export interface NodeProcessOptions {
  /** Copy the process's lines to this console, prefixed by its name. */
  echo?: boolean;
  /** Append everything the process writes to `<logDir>/<name>.log`. */
  logDir?: string;
  onExit?: (code: number | null) => void;
  /** Extra Node.js flags (e.g. --cpu-prof for the benches). */
  nodeArgs?: string[];
}

/**
 * Node.js flags of every service process (the five services), here and in the image: keep equal to
 * SERVICE_NODE_FLAGS in deploy/docker/tpo-entrypoint.sh (a unit spec compares them).
 * `--heap-growing-percent=30`: after each full GC V8 lets the old generation grow to 1.3 x what
 * survived before the next one, the factor V8 itself uses on small-memory devices, instead of up
 * to 4 x with a multi-GB heap limit. The services' live heap is 45-90 MB; with the default factor
 * the heap V8 reserved at the peak of a 500-tenant burst stayed reserved (issue 11, P5). It changes
 * when V8 collects, not how much it may hold: the heap limit is unchanged, so no burst can hit a
 * lower ceiling because of it (docs/performance.md, fix 9).
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--heap-growing-percent=30'];

/** Runs a compiled entry point (`dist/...js`) with the repo's path aliases; lines prefixed by name. */
export function startNodeProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  options: NodeProcessOptions = {},
): ManagedProcess {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      '-r',
      resolve(ROOT_DIR, 'tools', 'register-paths.js'),
      // Stops the process when this one ends, through the stdin pipe it holds (see the file).
      '-r',
      resolve(ROOT_DIR, 'tools', 'exit-with-parent.js'),
      resolve(ROOT_DIR, entry),
    ],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  if (options.logDir) {
    mkdirSync(options.logDir, { recursive: true });
    const file = createWriteStream(resolve(options.logDir, `${name}.log`), { flags: 'a' });
    child.stdout!.pipe(file, { end: false });
    child.stderr!.pipe(file, { end: false });
    child.on('close', () => file.end());
  }
  const prefix = `[${name}]`.padEnd(24);
  for (const [stream, out] of [
    [child.stdout!, process.stdout],
    [child.stderr!, process.stderr],
  ] as const) {
    let buf = '';
    stream.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output.push(text);
      if (!options.echo) return;
      buf += text;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) out.write(`${prefix} ${line}\n`);
    });
  }
  const exit = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      options.onExit?.(code);
      r(code);
    }),
  );
  return { name, child, output, exit };
}

/**
 * Polls `url` until it answers 2xx. With `process`, fails at once when that process has exited, and
 * any failure carries the process's exit code and the end of its output (a failed start says why).
 */
export async function waitHttpOk(
  url: string,
  timeoutMs: number,
  label: string,
  process?: ManagedProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  const why = (reason: string) => {
    if (!process) return new Error(`${label} ${reason}: ${last}`);
    const exited = process.child.exitCode ?? process.child.signalCode;
    const tail = process.output.join('').slice(-3000);
    return new Error(
      `${label} ${reason}: ${last}${exited !== null ? ` (process exited: ${exited})` : ''}\n--- last output of ${label} ---\n${tail}`,
    );
  };
  while (Date.now() < deadline) {
    if (process && (process.child.exitCode !== null || process.child.signalCode !== null)) {
      throw why('exited before it was ready');
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `${res.status} ${(await res.text()).slice(0, 300)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw why(`not ready after ${timeoutMs} ms`);
}

export async function stopAll(processes: ManagedProcess[], graceMs = 15_000): Promise<void> {
  const alive = processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  for (const p of alive) p.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(alive.map((p) => p.exit)), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  for (const p of alive) if (p.child.exitCode === null) p.child.kill('SIGKILL');
}

/** Ports this process has handed out (two calls never give the same one). */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1, below the kernel's ephemeral range (32768-60999 on Linux): a port
 * from that range (what `listen(0)` gives) can be taken by any outgoing connection (Postgres, NATS,
 * HTTP) between this check and the server's own bind, and the server then fails to start.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    if (handedOut.has(port) || !(await portIsFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found below 32000');
}

/** Whether 127.0.0.1:port can be bound now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
  });
}

/**
 * Refuses to start over ports that something already listens on (the local platform, before it
 * starts anything). Otherwise its own processes fail to bind while its readiness checks reach
 * whatever holds the ports: services left by an earlier platform answered them, and the demo then
 * failed against a database the new bootstrap had just reset (NO_SITE_CAPACITY), with no word of
 * the cause.
 */
export async function assertPortsFree(wanted: number[]): Promise<void> {
  const taken: number[] = [];
  for (const port of wanted) if (!(await portIsFree(port))) taken.push(port);
  if (taken.length === 0) return;
  throw new Error(
    `port${taken.length > 1 ? 's' : ''} ${taken.join(', ')} already in use on 127.0.0.1. A platform from an earlier run may still be running: ` +
      `stop it (\`pkill -f dist/apps/\`) or free the port${taken.length > 1 ? 's' : ''}, then start again.`,
  );
}
