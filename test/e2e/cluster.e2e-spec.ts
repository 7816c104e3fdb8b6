import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TEST_DATABASE } from '../support/test-env';

const ROOT = resolve(__dirname, '..', '..');

interface ClusterReport {
  clusterTest: 'passed' | 'failed';
  figures: {
    stalls: number;
    killsWithTenantsInFlight: number;
    leaderFailovers: number;
    tenants: number;
    tenantsReady: number;
    createTenantCalls: number;
    vmsRegistered: number;
    vmsPerTenant: number;
    kills: number;
    natsLeaderKills: number;
    deadLetters: number;
    streamReplicas: number;
    relayActivations: Record<string, number>;
  };
  checks: { name: string; ok: boolean; detail: string }[];
  kills: { target: string }[];
}

/**
 * The CI size of `npm run cluster:test`: a 3-node NATS cluster, two replicas of every service,
 * the stream leader node and one replica of each service SIGKILLed and restarted while tenants
 * are onboarded; the verdict comes from the simulator's counters and state.
 */
describe('cluster test, CI size (3 nats-server nodes, 2 replicas per service, SIGKILLs)', () => {
  it(
    'onboards every tenant once with each VM registered once, nothing stuck, no dead letter, through a stream-leader loss and a replica loss per service',
    async () => {
      const child = spawn(
        process.execPath,
        [
          '-r',
          resolve(ROOT, 'tools', 'register-paths.js'),
          resolve(ROOT, 'dist', 'tools', 'cluster', 'cluster-test.js'),
          '--ci',
        ],
        {
          cwd: ROOT,
          env: { ...process.env, TPO_CLUSTER_DATABASE: `${TEST_DATABASE}_cluster` },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      mkdirSync(resolve(ROOT, '.local'), { recursive: true });
      writeFileSync(resolve(ROOT, '.local', 'cluster-test-ci.log'), out); // the run's figures, kills and checks
      const line = out
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{"clusterTest"'));
      if (!line) throw new Error(`cluster test printed no verdict (exit ${code}):\n${out.slice(-4000)}`);
      const report = JSON.parse(line) as ClusterReport;
      for (const c of report.checks)
        expect({ check: c.name, ok: c.ok, detail: c.detail }).toEqual({ check: c.name, ok: true, detail: c.detail });
      expect(report.figures.tenantsReady).toBe(report.figures.tenants);
      expect(report.figures.createTenantCalls).toBe(report.figures.tenants);
      expect(report.figures.vmsRegistered).toBe(report.figures.tenants * report.figures.vmsPerTenant);
      expect(report.figures.streamReplicas).toBe(3);
      expect(report.figures.natsLeaderKills).toBeGreaterThanOrEqual(1);
      // every killed leader was replaced by another node while it was down
      expect(report.figures.leaderFailovers).toBe(report.figures.natsLeaderKills);
      // one replica of each of the five services was killed
      expect(
        new Set(report.kills.filter((k) => !k.target.startsWith('nats:')).map((k) => k.target.split('#')[0])).size,
      ).toBe(5);
      expect(report.figures.stalls).toBeGreaterThanOrEqual(1);
      // the kills hit work in progress, not an idle platform
      expect(report.figures.killsWithTenantsInFlight).toBeGreaterThanOrEqual(report.figures.kills / 2);
      expect(report.clusterTest).toBe('passed');
      expect(code).toBe(0);
    },
    9 * 60_000,
  );
});
