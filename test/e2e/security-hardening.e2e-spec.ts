import { randomUUID } from 'node:crypto';
import { mintToken, PERMISSION_TLS_VERIFICATION_OFF } from '@tpo/platform';
import { mintServiceToken, serviceKeyOf } from '@tpo/site-directory';
import { devSecrets } from '@tpo/tools';
import { NatsConnection } from 'nats';
import { Client } from 'pg';
import { authHeaders, eventually, natsConnect, sql, tokenFor } from '../support/harness';
import { startTestPlatform, TestPlatform } from '../support/platform';
import { freePortBase } from '../support/ports';
import { testLayout } from '../support/test-env';

type Route = { method: string; path: string; access: string };

describe('issue 9: security hardening (site scope on every route, TLS-off permission, internal API, audit, token lifetime, throttle before auth)', () => {
  let nc: NatsConnection;
  let platform: TestPlatform;
  let tenant: { id: string; siteId: string; orderId: string };
  const services = testLayout().services.map((s) => s.name);
  const url = (service: string, path: string) => `${platform.url(service)}${path}`;
  const json = (method: string, body: unknown, headers: Record<string, string>) => ({
    method,
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const order = (extra: Record<string, unknown> = {}) => {
    const id = randomUUID().slice(0, 8);
    return {
      orderId: `hard-${id}`,
      tenantName: `Hard ${id}`,
      adminAccountName: `hard-${id}`,
      vms: [{ biosUuid: randomUUID(), name: `hard-${id}`, osFamily: 'linux', address: '10.0.0.1' }],
      ...extra,
    };
  };
  const site = (id: string, tls?: object) => ({
    id,
    name: id,
    maxVirtualServers: 10,
    integrationServer: {
      url: 'https://10.0.0.3:7271',
      username: 'multitenancy',
      password: 'x',
      addressForAgents: '10.0.0.1',
      ...(tls ? { tls } : {}),
    },
    ksc: { url: 'https://10.0.0.2:13299', username: 'svc', password: 'y', publicAddress: 'ksc.example' },
  });
  const auditRows = (action: string) =>
    sql<{ actor: string; outcome: number; target: string | null }>(
      'tenant-service',
      `SELECT actor, outcome, target FROM audit_log WHERE action = $1`,
      [action],
    );

  beforeAll(async () => {
    nc = await natsConnect();
    platform = await startTestPlatform(nc, {
      sites: 2,
      portBase: await freePortBase(),
      extraEnv: { RATE_LIMIT_PER_MINUTE: '400' },
    });
    const o = order({ preferredSiteId: 'site-1' });
    await fetch(
      `${platform.simulator.adminUrl}/sites/site-1/ksc/hosts`,
      json(
        'POST',
        { hosts: o.vms.map((v) => ({ biosId: v.biosUuid, name: v.name, ip: v.address, osFamily: v.osFamily })) },
        {},
      ),
    );
    const created = (await (
      await fetch(url('tenant-service', '/v1/tenants'), json('POST', o, await authHeaders('admin')))
    ).json()) as { id: string; siteId: string };
    tenant = { ...created, orderId: o.orderId };
    expect(tenant.siteId).toBe('site-1');
    await eventually(
      async () =>
        (
          (await (
            await fetch(url('tenant-service', `/v1/tenants/${created.id}`), { headers: await authHeaders('viewer') })
          ).json()) as { status: string }
        ).status === 'ready',
      90_000,
      200,
    );
  }, 150_000);

  afterAll(async () => {
    await platform?.stop();
    await (await nc.jetstreamManager()).streams.delete(platform.messaging.stream).catch(() => undefined);
    await nc?.close();
  });

  it('API1/issue9-5: a token scoped to site-2 gets 403/404 (or sees nothing) for site-1 data on every route of every service', async () => {
    const admin = await authHeaders('admin');
    const scoped = { Authorization: `Bearer ${await tokenFor('admin', { sites: ['site-2'] })}` };
    let checked = 0;
    for (const service of services) {
      const routes = (await (await fetch(url(service, '/v1/routes'), { headers: admin })).json()) as Route[];
      for (const r of routes.filter((x) => x.access !== 'public')) {
        const path = r.path
          .replace(/:(id|tenantId)\b/, r.path.includes('sites') ? 'site-1' : tenant.id)
          .replace(/:\w+/g, randomUUID());
        // A valid body for each route, so that the site scope (not input validation) decides the answer.
        const body =
          r.path === '/v1/tenants'
            ? order({ preferredSiteId: 'site-1' })
            : r.path === '/v1/sites'
              ? site('site-1')
              : r.path.startsWith('/v1/sites/')
                ? { enabled: false }
                : r.path.endsWith('/vms')
                  ? { vms: order().vms }
                  : r.path.endsWith('/vms/remove')
                    ? { biosUuids: [randomUUID()] }
                    : {};
        const res = await fetch(
          url(service, path),
          r.method === 'GET' ? { headers: scoped } : json(r.method, body, scoped),
        );
        const text = await res.text();
        const leaked = res.status < 300 && (text.includes(tenant.id) || text.includes('"site-1"'));
        expect({ service, route: `${r.method} ${r.path}`, status: res.status, leaked }).toEqual({
          service,
          route: `${r.method} ${r.path}`,
          status: [200, 403, 404, 409, 422].includes(res.status) ? res.status : 'unexpected',
          leaked: false,
        });
        if (res.status === 200) expect({ route: r.path, method: r.method }).toEqual({ route: r.path, method: 'GET' }); // only reads may answer (empty)
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    // The same order id as site-1's tenant: a conflict that does not reveal the tenant.
    const dup = await fetch(
      url('tenant-service', '/v1/tenants'),
      json('POST', order({ orderId: tenant.orderId }), scoped),
    );
    expect(dup.status).toBe(409);
    expect(await dup.text()).not.toContain(tenant.id);
    // Nothing was created or changed on site-1 by the scoped caller.
    const sites = (await (await fetch(url('tenant-service', '/v1/sites'), { headers: admin })).json()) as {
      items: { id: string; enabled: boolean }[];
    };
    expect(sites.items.find((s) => s.id === 'site-1')?.enabled).toBe(true);
  }, 120_000);

  it('issue9-5: switching TLS verification off needs its own permission (admin is not enough) and is audited', async () => {
    const admin = await authHeaders('admin');
    const refused = await fetch(
      url('tenant-service', '/v1/sites'),
      json('POST', site('lab-1', { insecure: true }), admin),
    );
    expect(refused.status).toBe(403);
    const permitted = {
      Authorization: `Bearer ${await tokenFor('admin', { subject: 'lab-admin', permissions: [PERMISSION_TLS_VERIFICATION_OFF] })}`,
    };
    expect(
      (await fetch(url('tenant-service', '/v1/sites'), json('POST', site('lab-1', { insecure: true }), permitted)))
        .status,
    ).toBe(201);
    expect(await auditRows('site.tls-verification-off')).toEqual([
      { actor: 'lab-admin', outcome: 200, target: 'lab-1' },
    ]);
  });

  it("issue9-5: site credentials are served only for a short-lived token signed with a service's own key, and every read is audited", async () => {
    const path = url('tenant-service', '/internal/v1/sites/site-1/connection');
    const master = devSecrets().internalToken;
    // The old static shared token, another service's key, a forged key: 401.
    expect((await fetch(path, { headers: { Authorization: `Bearer ${master}` } })).status).toBe(401);
    const forged = await mintServiceToken(
      'svm-config-service',
      serviceKeyOf('not-the-master-secret-at-all', 'svm-config-service'),
    );
    expect((await fetch(path, { headers: { Authorization: `Bearer ${forged}` } })).status).toBe(401);
    const impersonated = await mintServiceToken('svm-config-service', serviceKeyOf(master, 'registration-service'));
    expect((await fetch(path, { headers: { Authorization: `Bearer ${impersonated}` } })).status).toBe(401);
    const good = await mintServiceToken('svm-config-service', serviceKeyOf(master, 'svm-config-service'));
    const res = await fetch(path, { headers: { Authorization: `Bearer ${good}` } });
    expect(res.status).toBe(200);
    expect(await auditRows('site.credentials.read')).toContainEqual({
      actor: 'service:svm-config-service',
      outcome: 200,
      target: 'site-1',
    });
    const refusals = await sql<{ n: number }>(
      'tenant-service',
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'GET /internal/v1/sites/:id/connection' AND outcome = 401`,
    );
    expect(refusals[0].n).toBeGreaterThanOrEqual(3);
  });

  it('issue9-5: a token with a 100-year lifetime is refused; refusals (401, 403) are audited', async () => {
    const secret = devSecrets().jwtSecret;
    const century = await mintToken(secret, {
      subject: 'forever',
      roles: ['admin'],
      ttlSeconds: 100 * 365 * 24 * 3600,
    });
    expect(
      (await fetch(url('tenant-service', '/v1/tenants'), { headers: { Authorization: `Bearer ${century}` } })).status,
    ).toBe(401);
    const hour = await mintToken(secret, { subject: 'hour', roles: ['viewer'], ttlSeconds: 3600 });
    expect(
      (await fetch(url('tenant-service', '/v1/tenants'), { headers: { Authorization: `Bearer ${hour}` } })).status,
    ).toBe(200);
    expect(
      (await fetch(url('tenant-service', '/v1/audit'), { headers: { Authorization: `Bearer ${hour}` } })).status,
    ).toBe(403);
    const rows = await sql<{ actor: string; outcome: number; action: string }>(
      'tenant-service',
      `SELECT actor, outcome, action FROM audit_log WHERE outcome IN (401, 403)`,
    );
    expect(rows).toContainEqual({ actor: 'anonymous', outcome: 401, action: 'GET /v1/tenants' });
    expect(rows).toContainEqual({ actor: 'hour', outcome: 403, action: 'GET /v1/audit' });
  });

  it('issue9-5: the audit row commits in the same transaction as the change: when it cannot be written, the change is rolled back', async () => {
    const layout = testLayout();
    const role = layout.services.find((s) => s.name === 'tenant-service')!.role;
    const admin = new Client({ connectionString: layout.adminUrl.replace(/\/[^/]*$/, `/${layout.database}`) });
    await admin.connect();
    try {
      await admin.query(`REVOKE INSERT ON tenant.audit_log FROM "${role}"`);
      const res = await fetch(
        url('tenant-service', '/v1/sites/site-2'),
        json('PATCH', { maxVirtualServers: 7 }, await authHeaders('admin')),
      );
      expect(res.status).toBeGreaterThanOrEqual(500);
    } finally {
      await admin.query(`GRANT INSERT ON tenant.audit_log TO "${role}"`);
      await admin.end();
    }
    const sites = (await (
      await fetch(url('tenant-service', '/v1/sites'), { headers: await authHeaders('admin') })
    ).json()) as { items: { id: string; maxVirtualServers: number }[] };
    expect(sites.items.find((s) => s.id === 'site-2')?.maxVirtualServers).not.toBe(7);
  });

  it('issue9-5: the rate limit applies before authentication: guessing credentials gets 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 450 && !statuses.includes(429); i++) {
      statuses.push(
        (
          await fetch(url('registration-service', '/v1/registrations'), {
            headers: { Authorization: `Bearer guess.${i}.x` },
          })
        ).status,
      );
    }
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
  }, 60_000);
});
