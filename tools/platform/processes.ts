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

/** Runs a compiled entry point (`dist/...js`) with the repo's path aliases; lines prefixed by name. */
export function startNodeProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  options: NodeProcessOptions = {},
): ManagedProcess {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '-r', resolve(ROOT_DIR, 'tools', 'register-paths.js'), resolve(ROOT_DIR, entry)],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
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

export async function waitHttpOk(url: string, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `${res.status} ${(await res.text()).slice(0, 300)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${label} not ready after ${timeoutMs} ms: ${last}`);
}

export async function stopAll(processes: ManagedProcess[], graceMs = 15_000): Promise<void> {
  const alive = processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  for (const p of alive) p.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(alive.map((p) => p.exit)), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  for (const p of alive) if (p.child.exitCode === null) p.child.kill('SIGKILL');
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
