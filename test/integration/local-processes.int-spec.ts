import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from '../support/harness';

const ROOT = resolve(__dirname, '..', '..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A platform started by `npm start` (or a bench, or a test) is a parent process with the services as
 * children. Killed without a chance to stop them (kill -9, a closed terminal), it used to leave them
 * running: they held the ports, and the next start talked to them.
 */
describe('processes started by the local platform (real processes)', () => {
  it('stop when the platform process is killed outright, through their graceful shutdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpo-orphan-'));
    const child = join(dir, 'service.js');
    const stopped = join(dir, 'stopped');
    // Stands in for a service: runs until told to stop, and records a graceful stop (SIGTERM).
    writeFileSync(
      child,
      `setInterval(() => {}, 60_000);
       process.on('SIGTERM', () => { require('node:fs').writeFileSync(${JSON.stringify(stopped)}, 'SIGTERM'); process.exit(0); });
       console.log('up ' + process.pid);`,
    );
    const parent = spawn(
      process.execPath,
      [
        '-r',
        join(ROOT, 'tools', 'register-paths.js'),
        '-e',
        `const { startNodeProcess } = require(${JSON.stringify(join(ROOT, 'dist', 'tools', 'platform', 'processes.js'))});
         const p = startNodeProcess('service', ${JSON.stringify(child)}, {}, { echo: false });
         p.child.stdout.on('data', (d) => process.stdout.write(d));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    parent.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await eventually(async () => /up \d+/.test(out), 15_000, 50);
    const childPid = Number(/up (\d+)/.exec(out)![1]);
    expect(alive(childPid)).toBe(true);

    parent.kill('SIGKILL');
    await eventually(async () => !alive(childPid), 10_000, 50);
    expect(readFileSync(stopped, 'utf8')).toBe('SIGTERM');
  }, 30_000);
});
