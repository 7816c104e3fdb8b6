import { closeSync, openSync, writeSync } from 'node:fs';
import {
  CpuSnapshot,
  cpuFloor,
  cpuMsPerTenant,
  processWriteSyscalls,
  throughputCeiling,
  writeSyscallsPerTenant,
} from './cpu-census';

const linux = process.platform === 'linux';

describe('cpu census', () => {
  (linux ? it : it.skip)("counts this process's own write system calls", () => {
    const fd = openSync('/dev/null', 'w');
    const before = processWriteSyscalls(process.pid)!;
    for (let i = 0; i < 10; i++) writeSync(fd, 'x');
    const after = processWriteSyscalls(process.pid)!;
    closeSync(fd);
    expect(after - before).toBeGreaterThanOrEqual(10);
  });

  it('is undefined for a process that does not exist', () => {
    expect(processWriteSyscalls(2 ** 30)).toBeUndefined();
  });

  const before: CpuSnapshot = new Map([
    [1, { kind: 'tenant-service', ms: 100, writes: 1_000 }],
    [2, { kind: 'simulator', ms: 50, writes: 500 }],
    [3, { kind: 'postgres', ms: 10, writes: 7 }],
    [4, { kind: 'nats-server', ms: 5, writes: 100 }],
  ]);
  const after: CpuSnapshot = new Map([
    [1, { kind: 'tenant-service', ms: 300, writes: 1_400 }],
    [2, { kind: 'simulator', ms: 250, writes: 900 }],
    [3, { kind: 'postgres', ms: 110, writes: 9_999 }],
    [4, { kind: 'nats-server', ms: 25, writes: 300 }],
    // started during the run: counts from zero
    [5, { kind: 'activation-service', ms: 40, writes: 200 }],
  ]);

  it('gives write system calls per tenant by process, services apart from the stand-ins and NATS, no Postgres', () => {
    expect(writeSyscallsPerTenant(before, after, 4)).toEqual({
      'tenant-service': 100,
      simulator: 100,
      'nats-server': 50,
      'activation-service': 50,
      services: 150,
    });
  });

  it('gives CPU per tenant by process, the platform without the simulator and the bench', () => {
    expect(cpuMsPerTenant(before, after, 10)).toEqual({
      'tenant-service': 20,
      simulator: 20,
      postgres: 10,
      'activation-service': 4,
      'nats-server': 2,
      platform: 36,
      all: 56,
    });
  });

  it('lists a process found idle in the window with 0, not as missing', () => {
    const idle: CpuSnapshot = new Map([[6, { kind: 'registration-service', ms: 30, writes: 10 }]]);
    expect(cpuMsPerTenant(idle, idle, 10)).toEqual({ 'registration-service': 0, platform: 0, all: 0 });
  });

  it("tells how long the bulk's CPU alone takes on the machine's cores, and the CPU per tenant a 1.5x bulk allows", () => {
    // 500 tenants at 200 ms each on 2 cores: 50 s of the cores at full use, against a 20 s critical path.
    expect(cpuFloor(200, 500, 62_500, 20_000, 2)).toEqual({
      coresBusyAverage: 1.6,
      cpuFloorSeconds: 50,
      cpuFloorOverCriticalPath: 2.5,
      cpuMsPerTenantFor1_5x: 120,
    });
  });

  it('tells the pace the CPU allows each side of P1 and the ratio with both at their ceilings', () => {
    // Session 19's host: the platform spent 160 ms per tenant over all its processes; the direct
    // script 85, 50 of them in the bench's one event loop, which caps it at 20 tenants/s.
    const platform = { cpuMsPerTenant: { all: 160, bench: 5 }, tenantsPerSecond: 11.5 };
    const direct = { cpuMsPerTenant: { all: 85, bench: 50 }, tenantsPerSecond: 18 };
    expect(throughputCeiling(platform, direct, 2)).toEqual({
      platformCoresBusy: 1.84,
      directCoresBusy: 1.53,
      directBenchLoopBusy: 0.9,
      platformTenantsPerSecondCeiling: 12.5,
      directTenantsPerSecondCeiling: 20,
      ratioCeiling: 0.63,
      platformCpuMsPerTenantFor0_8: 138.9,
    });
    // A direct script bound by the cores rather than by its own loop.
    expect(throughputCeiling(platform, { ...direct, cpuMsPerTenant: { all: 150, bench: 40 } }, 2)).toMatchObject({
      directTenantsPerSecondCeiling: 13.3,
      ratioCeiling: 0.94,
    });
  });
});
