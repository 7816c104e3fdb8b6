import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SEED_PUSH_INSTALL_ACCOUNT, simulatorSiteDeployment } from '@tpo/kaspersky-simulator';
import { mintServiceToken, serviceKeyOf } from '@tpo/site-directory';
import { devSecrets } from '@tpo/tools';
import { NatsConnection } from 'nats';
import { authHeaders, natsConnect, sql } from '../support/harness';
import { startTestPlatform, TestPlatform } from '../support/platform';
import { freePortBase } from '../support/ports';

interface SiteView {
  deployment?: unknown;
  integrationServer: { agentPort?: number };
  ksc: { pushInstall?: { username: string; password?: string } };
  preflight?: { status: string; checkedAt: string; checks: { name: string; status: string; ok: boolean; message: string }[] } | null;
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
    fetch(url(path), { method: 'POST', headers: { ...(await authHeaders(role)), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const get = async (path: string, role: 'admin' | 'operator' | 'viewer' = 'viewer') => fetch(url(path), { headers: await authHeaders(role) });
  const PUSH_PASSWORD = `Push-${randomUUID()}`;

  /** A site body pointing at simulator site-1 (loopback is allowed in tests). */
  const siteBody = (id: string, extra: Record<string, unknown> = {}) => {
    const e = platform.simulator.endpoints[0];
    return {
      id,
      name: `Registered ${id}`,
      maxVirtualServers: 50,
      integrationServer: { url: e.integrationServerUrl, username: 'multitenancy', password: devSecrets().simulatorIsPassword, addressForAgents: '127.0.0.1', agentPort: 17271, tls: { caPem: readFileSync(join(platform.stateDir, 'certificate.pem'), 'utf8') } },
      ksc: { url: e.kscUrl, username: 'svc-onboard', password: devSecrets().simulatorKscPassword, publicAddress: 'localhost', tls: { caPem: readFileSync(join(platform.stateDir, 'certificate.pem'), 'utf8') }, pushInstall: { username: 'LAB\\installer', password: PUSH_PASSWORD } },
      deployment: simulatorSiteDeployment(),
      ...extra,
    };
  };

  beforeAll(async () => {
    nc = await natsConnect();
    platform = await startTestPlatform(nc, { sites: 1, portBase: await freePortBase() });
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

    const [row] = await sql<{ j: string }>('tenant-service', `SELECT row_to_json(s)::text AS j FROM site s WHERE id = 'site-reg'`);
    expect(row.j).not.toContain(PUSH_PASSWORD);
    expect(JSON.parse(row.j).credentials.pushInstall).toBeDefined();

    const master = devSecrets().internalToken;
    const token = await mintServiceToken('agent-install-service', serviceKeyOf(master, 'agent-install-service'));
    const conn = (await (await fetch(url('/internal/v1/sites/site-reg/connection'), { headers: { Authorization: `Bearer ${token}` } })).json()) as SiteView;
    expect(conn.ksc.pushInstall).toEqual({ username: 'LAB\\installer', password: PUSH_PASSWORD });
    expect(conn.integrationServer.agentPort).toBe(17271);
    expect(conn.deployment).toEqual(simulatorSiteDeployment());
    expect(platform.logs()).not.toContain(PUSH_PASSWORD);
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
          lightAgentSettings: { ...d.osFamilies[0].lightAgentSettings, integrationServerPort: { section: 'a:b', variable: 'Port' } },
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
      for (const e of expected) expect({ label, fields: fields.some((f) => f.includes(e)) }).toEqual({ label, fields: true });
    }
    const noPassword = await post('/v1/sites', siteBody('site-bad-push', { ksc: { ...siteBody('x').ksc, pushInstall: { username: 'u' } } }));
    expect(noPassword.status).toBe(400);
    expect(JSON.stringify(await noPassword.json())).toContain('ksc.pushInstall.password');
  });
});
