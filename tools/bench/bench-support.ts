import { cpus, loadavg, totalmem } from 'node:os';
import { connect } from 'nats';
import { Client } from 'pg';
import { LocalLayout, loadLocalLayout } from '../bootstrap/local-layout';
import { freePort } from '../platform/processes';

/**
 * What every bench shares: where it runs (database, ports), the machine it prints with its
 * figures, percentiles, and the one JSON line it ends with.
 *
 * - `TPO_BENCH_DATABASE` (default `tpo_bench`): the database a bench may drop and re-create.
 * - `TPO_BENCH_PORTS=auto`: free ports instead of the fixed 39xx/2xxxx ones, so the small runs in
 *   `npm test` never collide with a platform started by hand (fixed ports need /work/platform.lock).
 */
export function benchLayout(): LocalLayout {
  return loadLocalLayout({ database: process.env.TPO_BENCH_DATABASE ?? 'tpo_bench' });
}

/** A port for a bench server: the fixed default, or a free one when TPO_BENCH_PORTS=auto. */
export async function benchPort(fixed: number): Promise<number> {
  if (process.env.TPO_BENCH_PORTS !== 'auto') return fixed;
  return freePort();
}

/** One port per fixed default (distinct free ones when TPO_BENCH_PORTS=auto). */
export async function benchPorts(fixed: number[]): Promise<number[]> {
  const out: number[] = [];
  for (const f of fixed) {
    let port = await benchPort(f);
    while (out.includes(port)) port = await benchPort(f);
    out.push(port);
  }
  return out;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  postgres: string;
  natsServer: string;
  /** 1-minute load average when the bench started: above the core count, other work shared the machine. */
  loadAverageAtStart: number;
  durability: { postgresFsync: string; postgresSynchronousCommit: string; jetstreamStorage: string };
}

/** The machine and server versions every figure is printed with (printed once as `machine: {...}`). */
export async function describeMachine(layout: LocalLayout = benchLayout()): Promise<Machine> {
  const pg = new Client({ connectionString: layout.adminUrl });
  await pg.connect();
  const setting = async (name: string) =>
    (await pg.query(`SELECT current_setting($1) AS v`, [name])).rows[0].v as string;
  const nc = await connect({ servers: layout.natsUrl.split(',') });
  try {
    const machine: Machine = {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      postgres: await setting('server_version'),
      natsServer: nc.info?.version ?? 'unknown',
      loadAverageAtStart: round(loadavg()[0], 2),
      durability: {
        postgresFsync: await setting('fsync'),
        postgresSynchronousCommit: await setting('synchronous_commit'),
        jetstreamStorage: 'file',
      },
    };
    console.log('machine:', JSON.stringify(machine));
    return machine;
  } finally {
    await pg.end();
    await nc.close();
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** The last line of every bench: one JSON object with the bench name, time, machine and figures. */
export function printResult(bench: string, machine: Machine, figures: Record<string, unknown>): void {
  console.log(
    JSON.stringify({
      bench,
      at: new Date().toISOString(),
      machine,
      loadAverageAtEnd: round(loadavg()[0], 2),
      ...figures,
    }),
  );
}

/** Runs a bench's main, printing the failure and exiting non-zero on error. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`bench failed: ${e instanceof Error ? e.stack : String(e)}`);
      process.exit(1);
    },
  );
}
