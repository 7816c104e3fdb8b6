import { randomUUID } from 'node:crypto';
import { mintToken } from '@tpo/platform';
import { devSecrets } from '@tpo/tools';
import { NatsConnection } from 'nats';
import { Client } from 'pg';
import { authHeaders, eventually, natsConnect, tokenFor } from '../support/harness';
import { startTestPlatform, TestPlatform } from '../support/platform';
import { freePortBase } from '../support/ports';
import { testDatabaseUrl, testLayout } from '../support/test-env';

const API_KEY = `tpo-test-${randomUUID()}`;

describe('admin API security (OWASP API Top 10, S*, V*) against the running services', () => {
  let nc: NatsConnection;
  let platform: TestPlatform;
  const services = testLayout().services.map((s) => s.name);
  const url = (service: string, path: string) => `${platform.url(service)}${path}`;
  const tenantsUrl = (path = '') => url('tenant-service', `/v1/tenants${path}`);
  const json = (body: unknown, headers: Record<string, string> = {}) => ({
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const order = (extra: Record<string, unknown> = {}) => {
    const id = randomUUID().slice(0, 8);
    return {
      orderId: `sec-${id}`,
      tenantName: `Sec ${id}`,
      adminAccountName: `sec-${id}`,
      vms: [{ biosUuid: randomUUID(), name: `sec-${id}`, osFamily: 'linux', address: '10.0.0.1' }],
      ...extra,
    };
  };
  let readyTenant: { id: string; siteId: string };

  beforeAll(async () => {
    nc = await natsConnect();
    const { createHash } = await import('node:crypto');
    platform = await startTestPlatform(nc, {
      sites: 2,
      portBase: await freePortBase(),
      extraEnv: { AUTH_API_KEYS: `ci-viewer:viewer:${createHash('sha256').update(API_KEY).digest('hex')}` },
    });
    // One tenant onboarded to the end, for BOLA and the secret checks.
    const o = order();
    for (const site of ['site-1', 'site-2']) {
      await fetch(`${platform.simulator.adminUrl}/sites/${site}/ksc/hosts`, {
        ...json({
          hosts: o.vms.map((v) => ({ biosId: v.biosUuid, name: v.name, ip: v.address, osFamily: v.osFamily })),
        }),
      });
    }
    const created = (await (await fetch(tenantsUrl(), json(o, await authHeaders('admin')))).json()) as {
      id: string;
      siteId: string;
    };
    readyTenant = created;
    await eventually(
      async () =>
        (
          (await (await fetch(tenantsUrl(`/${created.id}`), { headers: await authHeaders('viewer') })).json()) as {
            status: string;
          }
        ).status === 'ready',
      60_000,
      200,
    );
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await (await nc.jetstreamManager()).streams.delete(platform.messaging.stream).catch(() => undefined);
    await nc?.close();
  });

  it('API2: no token, an expired token, a wrong audience, a forged signature or a key in the query string all get 401', async () => {
    const none = await fetch(tenantsUrl());
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    const secret = devSecrets().jwtSecret;
    const expired = await mintToken(secret, { subject: 'x', roles: ['admin'], ttlSeconds: -60 });
    const wrongAudience = await mintToken(secret, { subject: 'x', roles: ['admin'], audience: 'someone-else' });
    const forged = await mintToken('f'.repeat(40), { subject: 'x', roles: ['admin'] });
    for (const token of [expired, wrongAudience, forged, 'not.a.jwt']) {
      expect((await fetch(tenantsUrl(), { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
    }
    expect((await fetch(tenantsUrl(`?api_key=${API_KEY}`))).status).toBe(401);
    expect((await fetch(tenantsUrl(), { headers: { 'X-API-Key': 'wrong' } })).status).toBe(401);
    // A hashed API key works (and is only a viewer).
    expect((await fetch(tenantsUrl(), { headers: { 'X-API-Key': API_KEY } })).status).toBe(200);
    expect((await fetch(tenantsUrl(), json(order(), { 'X-API-Key': API_KEY }))).status).toBe(403);
  });

  it('API5/API9/S4: every mutating route of every service has a role policy, and a viewer gets 403 on each', async () => {
    const viewer = await authHeaders('viewer');
    let checked = 0;
    for (const service of services) {
      const routes = (await (
        await fetch(url(service, '/v1/routes'), { headers: await authHeaders('admin') })
      ).json()) as { method: string; path: string; access: string }[];
      expect(routes.length).toBeGreaterThan(3);
      expect((await fetch(url(service, '/v1/routes'), { headers: viewer })).status).toBe(403);
      for (const r of routes.filter((x) => x.method !== 'GET')) {
        expect({ service, route: `${r.method} ${r.path}`, access: r.access }).toEqual({
          service,
          route: `${r.method} ${r.path}`,
          access: expect.stringMatching(/^(operator|admin|public)$/),
        });
        if (r.access === 'public') continue;
        const path = r.path.replace(/:[A-Za-z]+/g, randomUUID());
        const res = await fetch(url(service, path), {
          method: r.method,
          headers: { ...viewer, 'content-type': 'application/json' },
          body: '{}',
        });
        expect({ service, route: `${r.method} ${r.path}`, status: res.status }).toEqual({
          service,
          route: `${r.method} ${r.path}`,
          status: 403,
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('S4: reveal is admin-only (operator 403), once (then 410), and 410 after its window expired', async () => {
    expect(
      (
        await fetch(tenantsUrl(`/${readyTenant.id}/credentials/reveal`), {
          method: 'POST',
          headers: await authHeaders('operator'),
        })
      ).status,
    ).toBe(403);
    // Move the reveal window into the past, as if 72 h had gone by.
    const pg = new Client({ connectionString: testDatabaseUrl('tenant-service') });
    await pg.connect();
    await pg.query(`UPDATE tenant_secret SET reveal_expires_at = now() - interval '1 minute' WHERE tenant_id = $1`, [
      readyTenant.id,
    ]);
    const expired = await fetch(tenantsUrl(`/${readyTenant.id}/credentials/reveal`), {
      method: 'POST',
      headers: await authHeaders('admin'),
    });
    expect(expired.status).toBe(410);
    const [row] = (
      await pg.query(`SELECT sealed, destroy_reason FROM tenant_secret WHERE tenant_id = $1`, [readyTenant.id])
    ).rows;
    await pg.end();
    expect(row).toEqual({ sealed: null, destroy_reason: 'reveal window expired' });
    // The tenant is flagged: its admin password must be reset in KSC.
    const detail = (await (
      await fetch(tenantsUrl(`/${readyTenant.id}`), { headers: await authHeaders('viewer') })
    ).json()) as { initialAdminPassword: { state: string } };
    expect(detail.initialAdminPassword.state).toBe('reset-required');
  });

  it('API1: a principal scoped to another site sees the tenant as not found, and not in lists', async () => {
    const other = readyTenant.siteId === 'site-1' ? 'site-2' : 'site-1';
    const scoped = await authHeaders('admin', { sites: [other] });
    expect((await fetch(tenantsUrl(`/${readyTenant.id}`), { headers: scoped })).status).toBe(404);
    expect((await fetch(tenantsUrl(`/${readyTenant.id}/retry`), { method: 'POST', headers: scoped })).status).toBe(404);
    type Page = { items: { id: string }[]; total: number };
    const page = async (query: string, headers: Record<string, string>) =>
      (await (await fetch(tenantsUrl(query), { headers })).json()) as Page;
    const list = await page('?limit=100', scoped);
    expect(list.items.map((t) => t.id)).not.toContain(readyTenant.id);
    // The total counts only what the caller may see, on every page, also past the end.
    expect(list.total).toBe(list.items.length);
    const admin = await authHeaders('admin');
    const all = await page('?limit=100', admin);
    expect(all.total).toBe(all.items.length);
    expect((await page('?limit=1', admin)).total).toBe(all.total);
    expect(await page(`?limit=1&offset=${all.total + 5}`, admin)).toMatchObject({ items: [], total: all.total });
    expect((await fetch(tenantsUrl(`/${randomUUID()}`), { headers: await authHeaders('admin') })).status).toBe(404);
  });

  it('API3: responses never carry passwords or site credentials; extra properties like status or a password are refused', async () => {
    const admin = await authHeaders('admin');
    const detail = await (await fetch(tenantsUrl(`/${readyTenant.id}`), { headers: admin })).text();
    const sites = await (await fetch(url('tenant-service', '/v1/sites'), { headers: admin })).text();
    // No password field, no sealed secret material (the password's *state* is shown, never a value).
    expect(detail).not.toMatch(/"password"\s*:|ciphertext|wrappedKey/i);
    expect(sites).not.toMatch(/"password"\s*:|ciphertext|wrappedKey|BEGIN/i);
    expect(sites).not.toContain(devSecrets().simulatorIsPassword);
    const res = await fetch(tenantsUrl(), json(order({ status: 'ready', vKsc: { user: { password: 'x' } } }), admin));
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/status should not exist/);
  });

  it('API4: oversized bodies get 413, too many VMs and oversized pages 400, and the reveal endpoint is rate-limited (429)', async () => {
    const admin = await authHeaders('admin');
    const big = await fetch(tenantsUrl(), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(300_000) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const many = order({
      vms: Array.from({ length: 501 }, (_, i) => ({
        biosUuid: randomUUID(),
        name: `v${i}`,
        osFamily: 'linux',
        address: '10.0.0.1',
      })),
    });
    expect((await fetch(tenantsUrl(), json(many, admin))).status).toBe(400);
    expect((await fetch(tenantsUrl('?limit=1000'), { headers: admin })).status).toBe(400);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push(
        (await fetch(tenantsUrl(`/${randomUUID()}/credentials/reveal`), { method: 'POST', headers: admin })).status,
      );
    expect(statuses).toContain(429);
  });

  it('API7: a site pointing at the metadata service, link-local, file:// or plain http is refused', async () => {
    const admin = await authHeaders('admin');
    const site = (isUrl: string) => ({
      id: `evil-${randomUUID().slice(0, 6)}`,
      name: 'evil',
      maxVirtualServers: 10,
      integrationServer: { url: isUrl, username: 'multitenancy', password: 'x', addressForAgents: '10.0.0.1' },
      ksc: { url: 'https://10.0.0.2:13299', username: 'svc', password: 'y', publicAddress: 'ksc.example' },
    });
    for (const bad of [
      'https://169.254.169.254',
      'https://169.254.1.1:7271',
      'file:///etc/passwd',
      'http://10.0.0.3:7271',
    ]) {
      const res = await fetch(url('tenant-service', '/v1/sites'), json(site(bad), admin));
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
    }
    expect((await fetch(url('tenant-service', '/v1/sites'), json(site('https://10.0.0.3:7271'), admin))).status).toBe(
      201,
    );
  });

  it('API8: error bodies carry no stack traces; security headers are set; no CORS for other origins', async () => {
    const admin = await authHeaders('admin');
    const malformed = await fetch(tenantsUrl(), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: '{"orderId": ',
    });
    expect(malformed.status).toBe(400);
    const text = await malformed.text();
    expect(text).not.toMatch(/at .*\.js:\d+|node_modules|stack/i);
    const res = await fetch(tenantsUrl(), { headers: { ...admin, Origin: 'https://evil.example' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBeTruthy();
    expect(res.headers.get('strict-transport-security')).toBeTruthy();
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('V1-V5: unknown fields (top level and nested), wrong nested types, bad names and bad BIOS ids get 400 with field paths', async () => {
    const admin = await authHeaders('admin');
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['V1 unknown top-level property', order({ surprise: 1 }), /property surprise should not exist/],
      [
        'V2 unknown nested property',
        order({ vms: [{ biosUuid: randomUUID(), name: 'a', osFamily: 'linux', address: '10.0.0.1', extra: true }] }),
        /vms\.0\.property extra should not exist/,
      ],
      [
        'V3 wrong type in a nested item',
        order({ vms: [{ biosUuid: randomUUID(), name: 42, osFamily: 'linux', address: '10.0.0.1' }] }),
        /vms\.0\.name/,
      ],
      ['V4 control characters', order({ tenantName: 'bad\u0007name' }), /tenantName/],
      ['V4 CDATA terminator', order({ tenantName: 'x]]>y' }), /tenantName/],
      ['V4 markup', order({ tenantName: '<b>x</b>' }), /tenantName/],
      ['V4 too long', order({ tenantName: 'a'.repeat(65) }), /tenantName/],
      [
        'V5 BIOS id format',
        order({ vms: [{ biosUuid: '1234', name: 'a', osFamily: 'linux', address: '10.0.0.1' }] }),
        /vms\.0\.biosUuid/,
      ],
    ];
    for (const [name, body, expected] of cases) {
      const res = await fetch(tenantsUrl(), json(body, admin));
      const text = await res.text();
      expect({ name, status: res.status, matches: expected.test(text) }).toEqual({ name, status: 400, matches: true });
    }
  });

  it('audit: admin actions are recorded with who, what, when and from where, queryable by admins only', async () => {
    const rows = (await (
      await fetch(url('tenant-service', '/v1/audit?limit=100'), { headers: await authHeaders('admin') })
    ).json()) as { items: { actor: string; action: string; outcome: number; sourceIp: string | null }[] };
    expect(
      rows.items.find((r) => r.action === 'POST /v1/tenants/:id/credentials/reveal' && r.outcome === 410),
    ).toMatchObject({ actor: 'test-admin', sourceIp: expect.any(String) });
    expect(rows.items.find((r) => r.action === 'POST /v1/tenants' && r.outcome === 202)).toBeDefined();
    expect((await fetch(url('tenant-service', '/v1/audit'), { headers: await authHeaders('operator') })).status).toBe(
      403,
    );
    void tokenFor;
  });
});
