import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ROOT_DIR } from '@tpo/tools';
import { TEST_DATABASE } from '../support/test-env';

/**
 * A small-size run of every benchmark, so none can silently break again (issue 11). It asserts
 * only that the bench completes and ends with its JSON line (with the machine): speed targets
 * belong in the bench figures, never in a timed test. Each bench runs in its own database and on
 * free ports, beside (not inside) the test database.
 */
async function runBench(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ result: Record<string, unknown>; output: string }> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      resolve(ROOT_DIR, 'tools/register-paths.js'),
      resolve(ROOT_DIR, `dist/tools/bench/${script}.bench.js`),
      ...args,
    ],
    {
      env: {
        ...process.env,
        TPO_BENCH_DATABASE: `${TEST_DATABASE}_bench`,
        TPO_BENCH_PORTS: 'auto',
        TPO_BENCH_POOL_SIZE: '3',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const chunks: string[] = [];
  child.stdout!.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => chunks.push(d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const output = chunks.join('');
  if (code !== 0) throw new Error(`bench ${script} exited with ${code}:\n${output.slice(-4000)}`);
  const stdoutLines = output.trim().split('\n');
  const last = stdoutLines[stdoutLines.length - 1];
  let result: Record<string, unknown>;
  try {
    result = JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`bench ${script} did not end with a JSON line:\n${output.slice(-4000)}`);
  }
  return { result, output };
}

function expectBenchLine(result: Record<string, unknown>, bench: string): void {
  expect(result.bench).toBe(bench);
  expect(result.machine).toMatchObject({
    cores: expect.any(Number),
    cpu: expect.any(String),
    node: expect.any(String),
    postgres: expect.any(String),
    natsServer: expect.any(String),
  });
}

describe('every benchmark runs at a small size and prints its JSON line', () => {
  it('bench:backbone', async () => {
    const { result } = await runBench('backbone', ['200']);
    expectBenchLine(result, 'backbone');
    const cpu = { thisProcess: expect.any(Number), postgres: expect.any(Number), all: expect.any(Number) };
    expect(result).toMatchObject({
      hop: { events: 200, cpuMsPerEvent: cpu },
      rawJetStream: { cpuMsPerEvent: { thisProcess: expect.any(Number), all: expect.any(Number) } },
      rawPostgres: { cpuMsPerEvent: cpu },
    });
    // A durable hop does work: it cannot be free.
    expect((result as { hop: { cpuMsPerEvent: { all: number } } }).hop.cpuMsPerEvent.all).toBeGreaterThan(0);
  }, 240_000);

  it('bench:register', async () => {
    const { result } = await runBench('register-vms', ['300', '8']);
    expectBenchLine(result, 'register-vms');
    expect(result).toMatchObject({ vms: 300 });
  }, 120_000);

  it('bench:onboarding (with the direct-script baseline and a scaled-down realistic bulk)', async () => {
    const { result } = await runBench('onboarding', ['3', '2', '3', '3'], { TPO_BENCH_TIME_SCALE: '0.02' });
    expectBenchLine(result, 'onboarding');
    expect(result).toMatchObject({
      zeroLatency: {
        tenants: 3,
        platform: { tenants: 3 },
        direct: { tenants: 3 },
        throughputPlatformOverDirect: expect.any(Number),
        // The direct side's ceilings may be unbounded (null) when 3 tenants' run gets no 10 ms tick.
        cpuCeiling: { platformCoresBusy: expect.any(Number), platformTenantsPerSecondCeiling: expect.any(Number) },
        singleTenant: { platformOverDirect: expect.any(Number) },
      },
      realistic: { tenants: 3, bulkOverCriticalPath: expect.any(Number), serviceRssMbAtEnd: expect.any(Object) },
    });
    // The CPU census (cpu-census.ts) found the services, their Postgres backends and the simulator (a
    // process may get no 10 ms tick in 3 tenants' run on a fast machine: found with 0), and the platform worked.
    const census = (result as { zeroLatency: { platform: { cpuMsPerTenant: Record<string, number> } } }).zeroLatency
      .platform.cpuMsPerTenant;
    for (const kind of ['tenant-service', 'agent-install-service', 'postgres', 'simulator'])
      expect(census[kind]).toBeGreaterThanOrEqual(0);
    expect(census.platform).toBeGreaterThan(0);
  }, 600_000);

  it('bench:lifecycle (onboarding, then add-VMs when served, suspend, resume and deprovision of the same tenants)', async () => {
    const { result } = await runBench('lifecycle', ['3', '1', '3', '1']);
    expectBenchLine(result, 'lifecycle');
    const ops = {
      operations: 3,
      failed: 0,
      operationsPerSecond: expect.any(Number),
      p50Ms: expect.any(Number),
      p99Ms: expect.any(Number),
    };
    expect(result).toMatchObject({
      tenants: 3,
      onboarding: { operations: 3, failed: 0 },
      suspend: ops,
      resume: ops,
      deprovision: ops,
      leftOnIntegrationServer: { tenants: 0, vms: 0 },
    });
    expect(result.addVms).toEqual(
      expect.objectContaining(typeof (result.addVms as { notMeasured?: string }).notMeasured === 'string' ? {} : ops),
    );
  }, 600_000);

  it('bench:soak', async () => {
    const { result } = await runBench('soak', ['10', '2', '1']);
    expectBenchLine(result, 'soak');
    expect(result).toMatchObject({ seconds: 10, rssGrowthPercent: expect.any(Object), maxRssMb: expect.any(Number) });
  }, 300_000);

  it('bench:flat-cost', async () => {
    const { result } = await runBench('flat-cost', ['60', '3', '1']);
    expectBenchLine(result, 'flat-cost');
    expect(result).toMatchObject({
      seededTenants: 60,
      empty: { tenants: 3 },
      seeded: { tenants: 3 },
      p50SeededOverEmpty: expect.any(Number),
    });
  }, 300_000);

  it('bench:rest', async () => {
    const { result } = await runBench('rest', ['1', '4', '2']);
    expectBenchLine(result, 'rest');
    expect(result).toMatchObject({
      healthLive: { requestsPerSecond: expect.any(Number) },
      tenantById: { non2xx: 0 },
      tenantList: { non2xx: 0 },
    });
  }, 300_000);
});
