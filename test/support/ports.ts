import { createServer } from 'node:net';

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A port base for startTestPlatform whose ports (base..base+9, +20..+23, +40..+43, +60) are free
 * now: several worktrees run their suites on one machine, so fixed bases collide.
 */
export async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below the kernel's ephemeral range (32768+), where an outgoing connection could take a port
    // between this check and the service's bind.
    const base = 10000 + Math.floor(Math.random() * 220) * 100;
    const ports = [
      ...Array.from({ length: 10 }, (_, i) => base + i),
      ...[20, 21, 22, 23, 40, 41, 42, 43, 60].map((d) => base + d),
    ];
    const results = await Promise.all(ports.map(free));
    if (results.every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}
