import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT_DIR, runDemoOnboarding } from '@tpo/tools';
import { NatsConnection } from 'nats';
import { natsConnect, tokenFor } from '../support/harness';
import { startTestPlatform, TestPlatform } from '../support/platform';
import { freePortBase } from '../support/ports';
import { testLayout } from '../support/test-env';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real `tpo` binary (bin/tpo.js, as `npx tpo` runs it) against the running platform. */
describe('tpo CLI against the running platform', () => {
  let nc: NatsConnection;
  let platform: TestPlatform;
  let dir: string;
  let adminToken: string;

  const env = (token: string | null): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: dir,
    TPO_URL: platform.url('tenant-service'),
    TPO_SERVICES: testLayout()
      .services.map((s) => `${s.name}=${platform.url(s.name)}`)
      .join(','),
    ...(token ? { TPO_TOKEN: token } : {}),
  });
  let revealedTenantId: string;
  /** `token: null` runs without credentials. */
  const tpo = (args: string[], token: string | null = adminToken): Promise<CliRun> =>
    new Promise((done) => {
      const child = spawn(process.execPath, [resolve(ROOT_DIR, 'bin', 'tpo.js'), ...args], {
        env: env(token),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => done({ code, stdout, stderr }));
    });
  const orderFile = async (vmCount: number, overrides: Record<string, unknown> = {}) => {
    const id = randomUUID().slice(0, 8);
    const order = {
      orderId: `cli-${id}`,
      tenantName: `Cli ${id}`,
      adminAccountName: `cli-${id}`,
      vms: Array.from({ length: vmCount }, (_, i) => ({
        biosUuid: randomUUID(),
        name: `cli-${id}-${i}`,
        osFamily: 'linux',
        address: `10.9.0.${i + 1}`,
      })),
      ...overrides,
    };
    await fetch(`${platform.simulator.adminUrl}/sites/site-1/ksc/hosts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        hosts: order.vms.map((v) => ({ biosId: v.biosUuid, name: v.name, ip: v.address, osFamily: v.osFamily })),
      }),
    });
    const file = join(dir, `${order.orderId}.json`);
    writeFileSync(file, JSON.stringify(order));
    return { file, order };
  };
  const setFaults = (faults: Record<string, unknown>) =>
    fetch(`${platform.simulator.adminUrl}/sites/site-1/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    });

  beforeAll(async () => {
    nc = await natsConnect();
    platform = await startTestPlatform(nc, { sites: 1, portBase: await freePortBase() });
    dir = mkdtempSync(join(tmpdir(), 'tpo-cli-'));
    adminToken = await tokenFor('admin');
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await (await nc.jetstreamManager()).streams.delete(platform.messaging.stream).catch(() => undefined);
    await nc?.close();
  });

  it('tenants order --watch --json follows every step to ready and ends with the handover (exit 0)', async () => {
    const { file, order } = await orderFile(3);
    const run = await tpo(['--json', 'tenants', 'order', file, '--watch']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      tenant: { id: string; status: string; name: string; timeline: { status: string }[] };
      vms: Record<string, { total: number; succeeded: number }>;
      handover: { password: string; adminAccountName: string };
    };
    expect(result.tenant).toMatchObject({ status: 'ready', name: order.tenantName });
    expect(result.tenant.timeline.every((s) => s.status === 'succeeded')).toBe(true);
    expect(result.vms['install-agents']).toMatchObject({ total: 3, succeeded: 3 });
    expect(result.handover.adminAccountName).toBe(order.adminAccountName);
    expect(result.handover.password.length).toBeGreaterThanOrEqual(12);
    revealedTenantId = result.tenant.id;
  }, 120_000);

  it('without --json (not a terminal): one line per step state on stderr, the handover on stdout', async () => {
    const { file } = await orderFile(2);
    const run = await tpo(['tenants', 'order', file, '--watch', '--no-reveal']);
    expect(run.code).toBe(0);
    for (const step of ['create-tenant', 'configure-svm', 'install-agents', 'register-vms', 'activate', 'handover'])
      expect(run.stderr).toMatch(new RegExp(`\\] ${step}\\s+done`));
    expect(run.stderr).toMatch(/install-agents\s+done\s+VMs 2\/2 done/);
    expect(run.stdout).toMatch(/is ready/);
    expect(run.stdout).toMatch(/virtual Administration Server/);
  }, 120_000);

  it('invalid input exits 2: a missing file, a file that is not JSON, and an order the platform refuses (its field paths shown)', async () => {
    expect((await tpo(['tenants', 'order', join(dir, 'missing.json')])).code).toBe(2);
    const notJson = join(dir, 'not-json.json');
    writeFileSync(notJson, '{ "orderId": ');
    const bad = await tpo(['tenants', 'order', notJson]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not valid JSON/);
    const { file } = await orderFile(1, {
      vms: [{ biosUuid: 'not-a-uuid', name: 'x', osFamily: 'linux', address: '10.0.0.1' }],
    });
    const refused = await tpo(['--json', 'tenants', 'order', file]);
    expect(refused.code).toBe(2);
    const body = JSON.parse(refused.stdout) as {
      error: { code: string; details: string[]; status: number };
      exitCode: number;
    };
    expect(body).toMatchObject({ exitCode: 2, error: { status: 400 } });
    expect(body.error.details.join('\n')).toMatch(/biosUuid/);
    expect(refused.stdout).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
    expect((await tpo(['tenants', 'list', '--limit', 'many'])).code).toBe(2);
  }, 60_000);

  it('authentication exits 4: no token, a bad token, and a viewer ordering a tenant', async () => {
    expect((await tpo(['tenants', 'list'], null)).code).toBe(4);
    const bad = await tpo(['--json', 'tenants', 'list'], 'not.a.token');
    expect(bad.code).toBe(4);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { status: 401, message: 'invalid or expired token' } });
    const { file } = await orderFile(1);
    const viewer = await tpo(['tenants', 'order', file], await tokenFor('viewer'));
    expect(viewer.code).toBe(4);
    expect(viewer.stderr).toMatch(/requires the admin role/);
  }, 60_000);

  it('a failed step exits 3 with its code; tenants retry --watch after clearing the fault completes it (exit 0)', async () => {
    await setFaults({
      taskFailures: {
        ChangeTenantActivation: { code: 'KSC_ConnectionLost', message: 'simulated activation failure', remaining: 1 },
      },
    });
    const { file } = await orderFile(1);
    const failed = await tpo(['--json', 'tenants', 'order', file, '--watch']);
    expect(failed.code).toBe(3);
    const result = JSON.parse(failed.stdout) as {
      tenant: { id: string; status: string; failure: { step: string; code: string } };
    };
    expect(result.tenant).toMatchObject({
      status: 'failed',
      failure: { step: 'activate', code: 'KSC_ConnectionLost' },
    });
    await setFaults({ taskFailures: {} });
    const retried = await tpo(['--json', 'tenants', 'retry', result.tenant.id, '--watch', '--no-reveal']);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ tenant: { status: 'ready' }, handover: null });
    const again = await tpo(['tenants', 'retry', result.tenant.id]);
    expect(again.code).toBe(2); // not failed any more: the platform's 409
    expect(again.stderr).toMatch(/error: .+/);
  }, 150_000);

  it('list, show, reveal, sites and dead letters print parseable --json', async () => {
    const list = await tpo(['--json', 'tenants', 'list', '--status', 'ready']);
    expect(list.code).toBe(0);
    const page = JSON.parse(list.stdout) as { items: { id: string; status: string }[]; total: number };
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((t) => t.status === 'ready')).toBe(true);
    const show = JSON.parse((await tpo(['--json', 'tenants', 'show', page.items[0].id])).stdout) as {
      id: string;
      timeline: unknown[];
    };
    expect(show).toMatchObject({ id: page.items[0].id });
    expect(show.timeline).toHaveLength(6);
    const revealed = await tpo(['--json', 'tenants', 'reveal', revealedTenantId]);
    expect(revealed.code).toBe(2); // revealed by the --watch above: the platform's 410
    expect(JSON.parse(revealed.stdout)).toMatchObject({ error: { status: 410 } });
    const sites = JSON.parse((await tpo(['--json', 'sites', 'list'])).stdout) as {
      items: { id: string; freeVirtualServers: number; usedVms: number; license: { maxVms: number } }[];
    };
    expect(sites.items[0]).toMatchObject({ id: 'site-1', license: { maxVms: 100_000 } });
    expect(sites.items[0].usedVms).toBeGreaterThanOrEqual(6); // the ready tenants' VMs count against the license
    const letters = await tpo(['--json', 'dead-letters', 'list']);
    expect(letters.code).toBe(0);
    expect(Array.isArray((JSON.parse(letters.stdout) as { items: unknown[] }).items)).toBe(true);
    const unknown = await tpo(['--json', 'dead-letters', 'replay', randomUUID()], await tokenFor('operator'));
    expect(unknown.code).toBe(2);
  }, 60_000);

  it('sites preflight calls POST /v1/sites/:id/preflight and shows the platform answer as it is', async () => {
    const run = await tpo(['--json', 'sites', 'preflight', 'site-1']);
    // The platform runs the site preflight (issue 8): a simulated site passes every item.
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout) as { status: string; checks: { name: string; status: string }[] };
    expect(body.status).toBe('passed');
    expect(body.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['integration-server', 'ksc', 'packages/linux', 'license-keys']),
    );
    expect(run.stdout + run.stderr).not.toMatch(/\bat .*\.js:\d+/);
  }, 60_000);

  it('the demo of npm start / npm run demo prints one line per step, then the handover', async () => {
    const lines: string[] = [];
    await runDemoOnboarding({
      tenantUrl: platform.url('tenant-service'),
      simulatorAdminUrl: platform.simulator.adminUrl,
      siteId: 'site-1',
      token: adminToken,
      vmCount: 2,
      print: (l) => lines.push(l),
    });
    const steps = lines.filter((l) => /^ {2}\[\d\/6\]/.test(l));
    expect(steps).toEqual(
      ['create-tenant', 'configure-svm', 'install-agents', 'register-vms', 'activate', 'handover'].map((s, i) =>
        expect.stringMatching(new RegExp(`^  \\[${i + 1}/6\\] ${s}\\s+done\\s+\\d+\\.\\d s$`)),
      ),
    );
    expect(lines.join('\n')).toMatch(
      /Handover[^]*virtual Administration Server {2}localhost\/Demo Tenant[^]*initial password {15}\S{12,}/,
    );
    expect(lines.every((l) => !l.startsWith('{'))).toBe(true); // no JSON log line in the readable output
  }, 120_000);
});
