import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SEED_PUSH_INSTALL_ACCOUNT, simulatorSiteDeployment } from '@tpo/kaspersky-simulator';
import { mintServiceToken, serviceKeyOf } from '@tpo/site-directory';
import { devSecrets } from '@tpo/tools';
import { NatsConnection } from 'nats';
import { TenantRequested, TenantRequestedV1 } from '@tpo/contracts';
import { authHeaders, clientFor, eventually, natsConnect, sql } from '../support/harness';
import { startTestPlatform, TestPlatform } from '../support/platform';
import { freePortBase } from '../support/ports';

interface SiteView {
  deployment?: unknown;
  integrationServer: { agentPort?: number };
  ksc: { pushInstall?: { username: string; password?: string } };
  preflight?: {
    status: string;
    checkedAt: string;
    checks: { name: string; status: string; ok: boolean; message: string }[];
  } | null;
  eligible?: boolean;
}

/**
 * Issue 8: the site registry keeps each site's deployment (packages, reference policies, captured
 * setting names per OS family), the Integration Server agent port and the push-install account
 * (sealed, write-only), and serves them to the step services.
 */
describe('site registry: deployment, agent port and push-install account', () => {
  let nc: NatsConnection;
  let platform: TestPlatform;
  const url = (path: string) => `${platform.url('tenant-service')}${path}`;
  const post = async (path: string, body: unknown, role: 'admin' | 'operator' | 'viewer' = 'admin') =>
    fetch(url(path), {
      method: 'POST',
      headers: { ...(await authHeaders(role)), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const get = async (path: string, role: 'admin' | 'operator' | 'viewer' = 'viewer') =>
    fetch(url(path), { headers: await authHeaders(role) });
  const PUSH_PASSWORD = `Push-${randomUUID()}`;

  /** A site body pointing at simulator site `index` (loopback is allowed in tests). */
  const siteBody = (id: string, extra: Record<string, unknown> = {}, index = 0) => {
    const e = platform.simulator.endpoints[index];
    return {
      id,
      name: `Registered ${id}`,
      maxVirtualServers: 50,
      integrationServer: {
        url: e.integrationServerUrl,
        username: 'multitenancy',
        password: devSecrets().simulatorIsPassword,
        addressForAgents: '127.0.0.1',
        agentPort: 17271,
        tls: { caPem: readFileSync(join(platform.stateDir, 'certificate.pem'), 'utf8') },
      },
      ksc: {
        url: e.kscUrl,
        username: 'svc-onboard',
        password: devSecrets().simulatorKscPassword,
        publicAddress: 'localhost',
        tls: { caPem: readFileSync(join(platform.stateDir, 'certificate.pem'), 'utf8') },
        pushInstall: { username: 'LAB\\installer', password: PUSH_PASSWORD },
      },
      deployment: simulatorSiteDeployment(),
      ...extra,
    };
  };

  beforeAll(async () => {
    nc = await natsConnect();
    platform = await startTestPlatform(nc, {
      sites: 2,
      portBase: await freePortBase(),
      extraEnv: { SITE_PREFLIGHT_INTERVAL_MS: '3000' },
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await (await nc?.jetstreamManager())?.streams.delete(platform.messaging.stream).catch(() => undefined);
    await nc?.close();
  });

  it('a configuration-file site carries the simulator deployment, the agent port and the push-install account name (never its password)', async () => {
    const res = await get('/v1/sites/site-1');
    expect(res.status).toBe(200);
    const site = (await res.json()) as SiteView;
    expect(site.deployment).toEqual(simulatorSiteDeployment());
    expect(site.integrationServer.agentPort).toBe(7271);
    expect(site.ksc.pushInstall).toEqual({ username: SEED_PUSH_INSTALL_ACCOUNT.username });
    const everything = JSON.stringify(site) + (await (await get('/v1/sites')).text());
    expect(everything).not.toContain(devSecrets().simulatorPushInstallPassword);
    expect((await get('/v1/sites/no-such-site')).status).toBe(404);
  });

  it('a REST-registered site keeps its deployment; the push-install password is sealed, served only on the internal connection endpoint', async () => {
    const res = await post('/v1/sites', siteBody('site-reg'));
    expect(res.status).toBe(201);
    const site = (await res.json()) as SiteView;
    expect(site.deployment).toEqual(simulatorSiteDeployment());
    expect(site.integrationServer.agentPort).toBe(17271);
    expect(site.ksc.pushInstall).toEqual({ username: 'LAB\\installer' });
    expect(JSON.stringify(site)).not.toContain(PUSH_PASSWORD);

    const [row] = await sql<{ j: string }>(
      'tenant-service',
      `SELECT row_to_json(s)::text AS j FROM site s WHERE id = 'site-reg'`,
    );
    expect(row.j).not.toContain(PUSH_PASSWORD);
    expect(JSON.parse(row.j).credentials.pushInstall).toBeDefined();

    const master = devSecrets().internalToken;
    const token = await mintServiceToken('agent-install-service', serviceKeyOf(master, 'agent-install-service'));
    const conn = (await (
      await fetch(url('/internal/v1/sites/site-reg/connection'), { headers: { Authorization: `Bearer ${token}` } })
    ).json()) as SiteView;
    expect(conn.ksc.pushInstall).toEqual({ username: 'LAB\\installer', password: PUSH_PASSWORD });
    expect(conn.integrationServer.agentPort).toBe(17271);
    expect(conn.deployment).toEqual(simulatorSiteDeployment());
    expect(platform.logs()).not.toContain(PUSH_PASSWORD);
    // Checked at registration, in the background.
    const checked = await eventually(
      async () => {
        const v = (await (await get('/v1/sites/site-reg')).json()) as SiteView;
        return v.preflight?.status ? v.preflight : undefined;
      },
      30_000,
      200,
    );
    expect(checked.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'integration-server',
        'ksc',
        'ksc-connection',
        'packages/windows',
        'packages/linux',
        'virtual-servers',
        'license-keys',
      ]),
    );
  });

  it('bad deployments are refused with 400 and one reason per problem', async () => {
    const d = simulatorSiteDeployment();
    const repeated = { ...d, osFamilies: [d.osFamilies[0], d.osFamilies[0]] };
    const badNames = {
      ...d,
      osFamilies: [
        {
          ...d.osFamilies[0],
          lightAgentPackage: { productName: 'x'.repeat(40) },
          lightAgentPolicy: { ...d.osFamilies[0].lightAgentPolicy, product: 'KES/Linux' },
          lightAgentSettings: {
            ...d.osFamilies[0].lightAgentSettings,
            integrationServerPort: { section: 'a:b', variable: 'Port' },
          },
        },
      ],
    };
    const unknownFamily = { ...d, osFamilies: [{ ...d.osFamilies[0], osFamily: 'solaris' }] };
    for (const [label, deployment, expected] of [
      ['repeated OS family', repeated, ['osFamilies must not repeat an osFamily']],
      ['bad names', badNames, ['productName', 'product', 'section']],
      ['unknown OS family', unknownFamily, ['osFamily']],
    ] as const) {
      const res = await post('/v1/sites', siteBody(`site-bad-${randomUUID().slice(0, 6)}`, { deployment }));
      const body = (await res.json()) as { error: { code: string; details?: { fields?: string[] } } };
      expect({ label, status: res.status }).toEqual({ label, status: 400 });
      const fields = body.error.details?.fields ?? [];
      for (const e of expected)
        expect({ label, fields: fields.some((f) => f.includes(e)) }).toEqual({ label, fields: true });
    }
    const noPassword = await post(
      '/v1/sites',
      siteBody('site-bad-push', { ksc: { ...siteBody('x').ksc, pushInstall: { username: 'u' } } }),
    );
    expect(noPassword.status).toBe(400);
    expect(JSON.stringify(await noPassword.json())).toContain('ksc.pushInstall.password');
  });

  // ---- preflight (issue 8, deliverable 3) ------------------------------------------------------

  const simAdmin = (path: string, method = 'POST', body?: unknown) =>
    fetch(`${platform.simulator.adminUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const preflight = async (siteId: string) => {
    const res = await post(`/v1/sites/${siteId}/preflight`, {}, 'operator');
    expect(res.status).toBe(200);
    return (await res.json()) as NonNullable<SiteView['preflight']>;
  };
  const item = (p: NonNullable<SiteView['preflight']>, name: string) => p.checks.find((c) => c.name === name);
  const failedItems = (p: NonNullable<SiteView['preflight']>) =>
    p.checks.filter((c) => c.status === 'failed').map((c) => c.name);
  const order = (tag: string, extra: Record<string, unknown> = {}) => {
    const id = randomUUID().slice(0, 8);
    return {
      orderId: `pf-${tag}-${id}`,
      tenantName: `Pf ${tag} ${id}`,
      adminAccountName: `pf-${tag}-${id}`,
      vms: [{ biosUuid: randomUUID(), name: `pf-${tag}-${id}`, osFamily: 'linux', address: '10.0.0.7' }],
      ...extra,
    };
  };
  const postOrder = (o: unknown) => post('/v1/tenants', o, 'admin');
  /** site-2 as registered by configuration (deployment of the simulator), to restore after each case. */
  const restoreSite2 = async () => {
    const res = await post(
      '/v1/sites',
      siteBody(
        'site-2',
        { maxVirtualServers: 500, ksc: { ...siteBody('x', {}, 1).ksc, pushInstall: { ...SEED_PUSH_INSTALL_ACCOUNT } } },
        1,
      ),
    );
    expect(res.status).toBe(201);
    expect((await preflight('site-2')).status).toBe('passed');
  };
  /** Runs `work` with every other site disabled (re-enabled afterwards). */
  const withOnlySite2 = async (work: () => Promise<void>) => {
    const others = ((await (await get('/v1/sites')).json()) as { items: { id: string; enabled: boolean }[] }).items
      .filter((x) => x.id !== 'site-2' && x.enabled)
      .map((x) => x.id);
    const patch = async (id: string, enabled: boolean) =>
      fetch(url(`/v1/sites/${id}`), {
        method: 'PATCH',
        headers: { ...(await authHeaders('admin')), 'content-type': 'application/json' },
        body: JSON.stringify({ enabled }),
      });
    for (const id of others) await patch(id, false);
    try {
      await work();
    } finally {
      for (const id of others) await patch(id, true);
    }
  };
  /** A failing site-2 takes no tenant: an order preferring it goes to site-1; with site-1 disabled, 409 with the reason. */
  const expectNoTenantsFor = async (failedItem: string) => {
    const view = (await (await get('/v1/sites/site-2')).json()) as SiteView;
    expect(view.eligible).toBe(false);
    expect(view.preflight?.status).toBe('failed');
    const elsewhere = await postOrder(order('elsewhere', { preferredSiteId: 'site-2' }));
    expect(elsewhere.status).toBe(202);
    expect(((await elsewhere.json()) as { siteId: string }).siteId).toBe('site-1');
    await withOnlySite2(async () => {
      const refused = await postOrder(order('refused', { preferredSiteId: 'site-2' }));
      expect(refused.status).toBe(409);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('NO_SITE_CAPACITY');
      expect(body.error.message).toContain('site-2 failed its last preflight');
      expect(body.error.message).toContain(failedItem);
    });
  };

  it('a healthy simulated site passes every item (and the check is announced); a tenant placed there onboards to ready', async () => {
    const p = await preflight('site-1');
    expect({ status: p.status, failed: failedItems(p) }).toEqual({ status: 'passed', failed: [] });
    expect(p.checks.map((c) => c.name)).toEqual([
      'integration-server',
      'ksc-connection',
      'ksc',
      'deployment',
      'reference-policy/windows',
      'reference-policy/linux',
      'protection-profile/standard',
      'packages/windows',
      'packages/linux',
      'virtual-servers',
      'license-keys',
      'push-install-account',
    ]);
    expect(item(p, 'license-keys')!.message).toContain('SIM0-000001-00000001');
    await eventually(async () =>
      (await platform.streamMessages()).some(
        (m) =>
          m.envelope?.type === 'com.tpo.site-preflight-completed.v1' &&
          (m.envelope.data as { siteId: string; trigger: string }).siteId === 'site-1' &&
          (m.envelope.data as { trigger: string }).trigger === 'request',
      ),
    );
    // The scheduler checks every site at boot (registration) and again each interval (schedule).
    await eventually(
      async () => {
        const data = (await platform.streamMessages())
          .filter((m) => m.envelope?.type === 'com.tpo.site-preflight-completed.v1')
          .map((m) => m.envelope!.data as { siteId: string; trigger: string });
        return (
          data.some((d) => d.siteId === 'site-2' && d.trigger === 'registration') &&
          data.some((d) => d.siteId === 'site-2' && d.trigger === 'schedule')
        );
      },
      20_000,
      250,
    );
    expect((await platform.streamMessages()).map((m) => m.raw).join('\n')).not.toContain(
      devSecrets().simulatorKscPassword,
    );

    const o = order('healthy', { preferredSiteId: 'site-1' });
    await simAdmin('/sites/site-1/ksc/hosts', 'POST', {
      hosts: o.vms.map((v) => ({ biosId: v.biosUuid, name: v.name, ip: v.address, osFamily: v.osFamily })),
    });
    const res = await postOrder(o);
    expect(res.status).toBe(202);
    const tenant = (await res.json()) as { id: string; siteId: string };
    expect(tenant.siteId).toBe('site-1');
    await eventually(
      async () => ((await (await get(`/v1/tenants/${tenant.id}`)).json()) as { status: string }).status === 'ready',
      60_000,
      250,
    );
  }, 90_000);

  it('fails item by item: no reference policy for an OS family; such a site receives no tenants', async () => {
    const d = simulatorSiteDeployment();
    d.osFamilies[1].lightAgentPolicy = { ...d.osFamilies[1].lightAgentPolicy, policyId: 9999 };
    expect((await post('/v1/sites', siteBody('site-2', { maxVirtualServers: 500, deployment: d }, 1))).status).toBe(
      201,
    );
    const p = await preflight('site-2');
    expect(failedItems(p)).toEqual(['reference-policy/linux']);
    expect(item(p, 'reference-policy/linux')!.message).toContain('9999');
    await expectNoTenantsFor('reference-policy/linux');
    // A reference policy of another product is refused too.
    const wrong = simulatorSiteDeployment();
    wrong.osFamilies[0].lightAgentPolicy = {
      ...wrong.osFamilies[0].lightAgentPolicy,
      product: 'KES',
      version: '12.0.0.0',
    };
    expect((await post('/v1/sites', siteBody('site-2', { maxVirtualServers: 500, deployment: wrong }, 1))).status).toBe(
      201,
    );
    const p2 = await preflight('site-2');
    expect(failedItems(p2)).toEqual(['reference-policy/windows']);
    expect(item(p2, 'reference-policy/windows')!.message).toContain('the site expects KES 12.0.0.0');
    await restoreSite2();
  }, 60_000);

  it('fails item by item: the Light Agent package missing for one OS family', async () => {
    const d = simulatorSiteDeployment();
    d.osFamilies[1].lightAgentPackage = { productName: 'KESL', productVersion: '99.0.0.0' };
    expect((await post('/v1/sites', siteBody('site-2', { maxVirtualServers: 500, deployment: d }, 1))).status).toBe(
      201,
    );
    const p = await preflight('site-2');
    expect(failedItems(p)).toEqual(['packages/linux']);
    expect(item(p, 'packages/linux')!.message).toContain('Light Agent package (product KESL 99.0.0.0)');
    expect(item(p, 'packages/windows')!.status).toBe('passed');
    await expectNoTenantsFor('packages/linux');
    await restoreSite2();
  }, 60_000);

  it('fails item by item: the Integration Server without its KSC connection', async () => {
    expect(
      (
        await fetch(url('/v1/sites/site-2'), {
          method: 'PATCH',
          headers: { ...(await authHeaders('admin')), 'content-type': 'application/json' },
          body: JSON.stringify({ kscConfigured: false }),
        })
      ).status,
    ).toBe(200);
    const p = await preflight('site-2');
    expect(failedItems(p)).toEqual(['ksc-connection']);
    expect(item(p, 'ksc-connection')!.message).toContain('kscConfigured=false');
    await fetch(url('/v1/sites/site-2'), {
      method: 'PATCH',
      headers: { ...(await authHeaders('admin')), 'content-type': 'application/json' },
      body: JSON.stringify({ kscConfigured: true }),
    });
    expect((await preflight('site-2')).status).toBe('passed');
  }, 60_000);

  it('fails item by item: every licence key expired, then none at all', async () => {
    expect((await simAdmin('/sites/site-2/ksc/license-keys/SIM0-000001-00000001/expire', 'POST', {})).status).toBe(200);
    const p = await preflight('site-2');
    expect(failedItems(p)).toEqual(['license-keys']);
    expect(item(p, 'license-keys')!.message).toContain('every key has expired: SIM0-000001-00000001');
    await expectNoTenantsFor('license-keys');
    expect((await simAdmin('/sites/site-2/ksc/license-keys', 'DELETE')).status).toBe(204);
    expect(item(await preflight('site-2'), 'license-keys')!.message).toContain('no licence key');
    // A valid key again: the site passes and takes tenants again.
    expect(
      (
        await simAdmin('/sites/site-2/ksc/license-keys', 'POST', {
          serial: 'SIM0-000002-00000002',
          limitDate: new Date(Date.now() + 86_400_000 * 90).toISOString(),
        })
      ).status,
    ).toBe(201);
    expect((await preflight('site-2')).status).toBe('passed');
  }, 60_000);

  it('fails item by item: 500 virtual servers already on the KSC (not made by this platform); placement counts them', async () => {
    const before = ((await (await get('/v1/sites/site-2')).json()) as SiteView & { freeVirtualServers: number })
      .freeVirtualServers;
    expect((await simAdmin('/sites/site-2/ksc/vservers', 'POST', { count: 495 })).status).toBe(201);
    const almost = await preflight('site-2');
    expect(almost.status).toBe('passed');
    const view = (await (await get('/v1/sites/site-2')).json()) as SiteView & {
      freeVirtualServers: number;
      otherVirtualServers: number;
    };
    expect(view.otherVirtualServers).toBe(495);
    expect(view.freeVirtualServers).toBe(Math.min(before, 5));
    expect((await simAdmin('/sites/site-2/ksc/vservers', 'POST', { count: 5 })).status).toBe(201);
    const p = await preflight('site-2');
    expect(failedItems(p)).toEqual(['virtual-servers']);
    expect(item(p, 'virtual-servers')!.message).toMatch(
      /^full: 500 virtual server\(s\) on the KSC \(500 not made by this platform\)/,
    );
    await expectNoTenantsFor('virtual-servers');
    // Over the bus: the order is rejected with the reason.
    await withOnlySite2(async () => {
      const o = order('bus');
      await clientFor(nc, platform.messaging).publishEvent(TenantRequested, {
        specversion: '1.0',
        id: randomUUID(),
        type: TenantRequested.type,
        source: 'order-system-e2e',
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        correlationid: `e2e-${randomUUID()}`,
        data: o as unknown as TenantRequestedV1,
      });
      await eventually(
        async () =>
          (await platform.streamMessages()).some(
            (m) =>
              m.envelope?.type === 'com.tpo.tenant-request-rejected.v1' &&
              (m.envelope.data as { orderId?: string }).orderId === o.orderId &&
              JSON.stringify(m.envelope.data).includes('site-2 failed its last preflight (virtual-servers)'),
          ),
        20_000,
        200,
      );
    });
  }, 60_000);

  it('preflight is an operator action: a viewer gets 403; an unknown site 422', async () => {
    expect((await post('/v1/sites/site-1/preflight', {}, 'viewer')).status).toBe(403);
    expect((await post('/v1/sites/nowhere/preflight', {}, 'operator')).status).toBe(422);
  });
});
