/// <reference lib="dom" />
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { mintToken } from '@tpo/platform';
import { devSecrets, ROOT_DIR } from '@tpo/tools';
import { NatsConnection } from 'nats';
import { Browser, chromium, Page } from 'playwright-core';
import { authHeaders, natsConnect, tokenFor } from '../support/harness';
import { startTestPlatform, TestPlatform } from '../support/platform';

/** Debian's chromium, installed by the project's own script when missing. */
function chromiumPath(): string {
  const run = spawnSync('bash', [resolve(ROOT_DIR, 'deploy', 'scripts', 'ensure-chromium.sh')], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`Chromium is not available: ${run.stderr}`);
  return run.stdout.trim();
}

describe('ops console in headless Chromium against the running platform', () => {
  let nc: NatsConnection;
  let platform: TestPlatform;
  let browser: Browser;
  let page: Page;
  const consoleUrl = () => platform.consoleUrl!;

  const order = async (vmCount = 2) => {
    const id = randomUUID().slice(0, 8);
    const o = {
      orderId: `oc-${id}`,
      tenantName: `Console ${id}`,
      adminAccountName: `oc-${id}`,
      vms: Array.from({ length: vmCount }, (_, i) => ({
        biosUuid: randomUUID(),
        name: `oc-${id}-${i}`,
        osFamily: 'linux',
        address: `10.8.0.${i + 1}`,
      })),
    };
    await fetch(`${platform.simulator.adminUrl}/sites/site-1/ksc/hosts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        hosts: o.vms.map((v) => ({ biosId: v.biosUuid, name: v.name, ip: v.address, osFamily: v.osFamily })),
      }),
    });
    const res = await fetch(`${platform.url('tenant-service')}/v1/tenants`, {
      method: 'POST',
      headers: { ...(await authHeaders('admin')), 'content-type': 'application/json' },
      body: JSON.stringify(o),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as { id: string };
  };
  const setFaults = (faults: Record<string, unknown>) =>
    fetch(`${platform.simulator.adminUrl}/sites/site-1/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    });
  const signIn = async (token: string) => {
    await page.goto(consoleUrl());
    await page.locator('#credential').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };
  const row = (tenantId: string) => page.locator(`tr[data-tenant-id="${tenantId}"]`);

  beforeAll(async () => {
    const executablePath = chromiumPath();
    nc = await natsConnect();
    platform = await startTestPlatform(nc, { sites: 1, portBase: 3825, consolePort: 3834 });
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await (await nc.jetstreamManager()).streams.delete(platform.messaging.stream).catch(() => undefined);
    await nc?.close();
  });

  it('an operator watches an ordered tenant reach "ready" live, without reloading the page', async () => {
    await signIn(await tokenFor('operator'));
    await page.locator('#live.on').waitFor({ timeout: 15_000 });
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42)); // gone if the page reloads
    const t = await order(3);
    await row(t.id).waitFor({ timeout: 20_000 });
    await page.locator(`tr[data-tenant-id="${t.id}"][data-status="ready"]`).waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    for (const step of ['create-tenant', 'configure-svm', 'install-agents', 'register-vms', 'activate', 'handover']) {
      expect(await row(t.id).locator(`td[data-step="${step}"]`).getAttribute('data-step-status')).toBe('succeeded');
      expect(await row(t.id).locator(`td[data-step="${step}"] .elapsed`).textContent()).toMatch(/^\d+\.\d s$/);
    }
    await page
      .locator('#sites tr[data-site-id="site-1"] [data-headroom]')
      .filter({ hasText: /of 100000 VMs/ })
      .waitFor({ timeout: 10_000 });
    // The platform reports each site's preflight (issue 8): the sites view shows it.
    await page
      .locator('#sites tr[data-site-id="site-1"] td[data-preflight="passed"]')
      .filter({ hasText: /^passed/ })
      .waitFor({ timeout: 20_000 });
  }, 120_000);

  it('a failed step shows its reason; Retry (operator) resumes it to "ready"; the screenshot is saved', async () => {
    await setFaults({
      taskFailures: {
        ChangeTenantActivation: { code: 'KSC_ConnectionLost', message: 'simulated activation failure', remaining: 1 },
      },
    });
    const t = await order(2);
    const failed = page.locator(`tr[data-tenant-id="${t.id}"][data-status="failed"]`);
    await failed.waitFor({ timeout: 60_000 });
    expect(await failed.locator('.failure').textContent()).toMatch(
      /KSC_ConnectionLost: simulated activation failure \(at activate\)/,
    );
    expect(await failed.locator('td[data-step="activate"]').getAttribute('data-step-status')).toBe('failed');
    await setFaults({ taskFailures: {} });
    const dir = resolve(ROOT_DIR, '.local');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: resolve(dir, 'ops-console-failed.png'), fullPage: true });
    await failed.locator('button[data-action="retry"]').click();
    await page.locator(`tr[data-tenant-id="${t.id}"][data-status="ready"]`).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: resolve(dir, 'ops-console.png'), fullPage: true });
    expect(await page.locator('#banner').isHidden()).toBe(true);
  }, 150_000);

  it('a dead letter appears with Replay; a replay the platform refuses shows its message in the page', async () => {
    const tenantId = randomUUID();
    const poison = {
      specversion: '1.0',
      id: randomUUID(),
      type: 'com.tpo.tenant-created.v1',
      source: 'test',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      correlationid: randomUUID(),
      tenantid: tenantId,
      data: { tenantId },
    };
    nc.publish(`${platform.messaging.prefix}.evt.tenant-created.v1`, JSON.stringify(poison));
    const letter = page.locator('#dead-letters tr[data-dead-letter-id]').filter({ hasText: tenantId });
    await letter.waitFor({ timeout: 30_000 });
    await letter.locator('button[data-action="replay"]').click();
    await page.locator('#banner').waitFor({ state: 'visible', timeout: 10_000 });
    const banner = (await page.locator('#banner').textContent()) ?? '';
    expect(banner).toMatch(/^INVALID_STATE: replay failed: /);
    expect(banner).not.toMatch(/\bat .*\.js:\d+|Error:/);
    await page.locator('#banner button.link').click();
  }, 60_000);

  it('a viewer sees the same tenants but no Retry or Replay button', async () => {
    await setFaults({
      taskFailures: {
        ChangeTenantActivation: { code: 'KSC_ConnectionLost', message: 'simulated again', remaining: 1 },
      },
    });
    const t = await order(1);
    await page.locator('#who .link').click(); // sign out
    await signIn(await tokenFor('viewer'));
    await page.locator(`tr[data-tenant-id="${t.id}"][data-status="failed"]`).waitFor({ timeout: 60_000 });
    await setFaults({ taskFailures: {} });
    expect(await page.locator('button[data-action="retry"]').count()).toBe(0);
    expect(await page.locator('button[data-action="replay"]').count()).toBe(0);
    expect(await page.locator('#who').textContent()).toMatch(/read only/);
  }, 120_000);

  it('an expired token leads to sign-in with the platform message; a refused call shows the platform error, never a stack trace', async () => {
    const expired = await mintToken(devSecrets().jwtSecret, { subject: 'old', roles: ['operator'], ttlSeconds: -10 });
    await page.evaluate((token) => sessionStorage.setItem('tpo-console-credential', token), expired);
    await page.reload();
    await page.locator('form#sign-in .notice').waitFor({ timeout: 10_000 });
    expect(await page.locator('form#sign-in .notice').textContent()).toBe('invalid or expired token');
    // A token that expires while the page is open: the live stream ends and the page asks to sign in again.
    const short = await mintToken(devSecrets().jwtSecret, { subject: 'brief', roles: ['viewer'], ttlSeconds: 4 });
    await page.locator('#credential').fill(short);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#live.on').waitFor({ timeout: 10_000 });
    await page.locator('form#sign-in .notice').waitFor({ timeout: 15_000 });
    expect(await page.locator('form#sign-in .notice').textContent()).toMatch(/expired/);
    // The console forwards only its allow-list; anything else is the platform's 404 message.
    const refused = await fetch(`${consoleUrl()}/api/svc/tenant-service/v1/audit`, {
      headers: await authHeaders('admin'),
    });
    expect(refused.status).toBe(404);
    const body = await refused.text();
    expect(JSON.parse(body)).toMatchObject({
      error: { code: 'NOT_FOUND', message: expect.stringMatching(/not available in the console/) },
    });
    expect(body).not.toMatch(/\bat .*\.js:\d+/);
  }, 60_000);
});
