import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { decodePolicySection, KscClient, PolicyApi } from '@tpo/ksc-client';
import {
  SEED_LA_OTHER_SECTION,
  SEED_LA_SECTION,
  SEED_LA_VARIABLES,
  SEED_LIGHT_AGENT,
  SEED_REFERENCE_POLICY_IDS,
} from '@tpo/kaspersky-simulator';
import { serviceKeyOf } from '@tpo/site-directory';
import { devSecrets } from '@tpo/tools';
import { consumerNameOf, EventEnvelope, TenantRequested, TenantRequestedV1 } from '@tpo/contracts';
import { NatsConnection } from 'nats';
import { authHeaders, clientFor, eventually, natsConnect } from '../support/harness';
import { Client } from 'pg';
import { dumpAllTables, startTestPlatform, TestPlatform } from '../support/platform';
import { freePortBase } from '../support/ports';
import { testLayout } from '../support/test-env';

/** S5: the PostgreSQL server log (Debian layout), read from where the test started. */
const PG_LOG_DIR = '/var/log/postgresql';
function pgLogFile(): string {
  const logs = readdirSync(PG_LOG_DIR)
    .filter((f) => /^postgresql-.*\.log$/.test(f))
    .map((f) => `${PG_LOG_DIR}/${f}`);
  if (logs.length === 0) throw new Error(`no PostgreSQL log in ${PG_LOG_DIR}`);
  return logs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

async function statementLogging(on: boolean): Promise<void> {
  const layout = testLayout();
  const pg = new Client({ connectionString: layout.adminUrl });
  await pg.connect();
  try {
    for (const s of layout.services)
      await pg.query(
        on ? `ALTER ROLE "${s.role}" SET log_statement = 'all'` : `ALTER ROLE "${s.role}" RESET log_statement`,
      );
  } finally {
    await pg.end();
  }
}

interface TenantView {
  id: string;
  status: string;
  siteId: string;
  currentStep: string;
  failure: { step: string; code: string; retryable: boolean } | null;
  adminAccountName: string;
  virtualAdministrationServer?: { name?: string; connectionString?: string };
  vms: {
    requested: number;
    installed?: number;
    registered?: number;
    installFailed?: { biosUuid: string; code: string }[];
  };
  timeline: { step: string; status: string; errorCode?: string | null }[];
}

type SimSite = {
  integrationServer: {
    tenants: { id: string; name: string; status: string; vKsc?: { id: string; userName: string } }[];
    vms: { biosId: string; tenantId: string }[];
  };
  ksc: {
    virtualServers: { id: number; dn: string }[];
    users: { vsId: number; name: string }[];
    hosts: { vsId: number; dn: string; biosId?: string; products: string[]; installs?: string[] }[];
  };
  counters: Record<string, number>;
};

let orderSeq = 0;
/** Distinct addresses per order: the platform finds a VM's device by address and name. */
const vmsFor = (prefix: string, n: number) => {
  const net = ++orderSeq;
  return Array.from({ length: n }, (_, i) => ({
    biosUuid: randomUUID(),
    name: `${prefix}-vm${i + 1}`,
    osFamily: (i % 2 ? 'windows' : 'linux') as 'windows' | 'linux',
    address: `10.9.${net}.${i + 10}`,
  }));
};

function order(tag: string, vmCount = 5, extra: Partial<TenantRequestedV1> = {}): TenantRequestedV1 {
  const id = `${tag}-${randomUUID().slice(0, 6)}`;
  return {
    orderId: `order-${id}`,
    tenantName: `Tenant ${id}`,
    adminAccountName: `adm-${id}`,
    vms: vmsFor(id, vmCount),
    ...extra,
  } as TenantRequestedV1;
}

function envelope(data: unknown): EventEnvelope<TenantRequestedV1> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    type: TenantRequested.type,
    source: 'order-system-e2e',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    correlationid: `e2e-${randomUUID()}`,
    data: data as TenantRequestedV1,
  };
}

describe('onboarding end to end: TenantRequested to handover (processes, real Postgres + NATS, simulator)', () => {
  let nc: NatsConnection;
  let platform: TestPlatform;
  let auth: Record<string, string> = {};
  const tenantUrl = () => platform.url('tenant-service');
  const admin = () => platform.simulator.adminUrl;
  const simState = async (site = 'site-1') => (await (await fetch(`${admin()}/sites/${site}/state`)).json()) as SimSite;
  const getTenant = async (id: string) =>
    (await (await fetch(`${tenantUrl()}/v1/tenants/${id}`, { headers: auth })).json()) as TenantView;
  /** The VMs on a site: managed by its KSC (a template with a Network Agent), or `unmanaged` machines on the network only. */
  const seedHosts = async (
    vms: { biosUuid: string; name: string; address: string; osFamily: string }[],
    site = 'site-1',
    unmanaged = false,
  ) => {
    const res = await fetch(`${admin()}/sites/${site}/ksc/hosts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        hosts: vms.map((v) => ({
          biosId: v.biosUuid,
          name: v.name,
          ip: v.address,
          osFamily: v.osFamily,
          withNetworkAgent: !unmanaged,
        })),
      }),
    });
    expect(res.status).toBe(201);
  };
  const postTenant = (body: unknown) =>
    fetch(`${tenantUrl()}/v1/tenants`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const tenantByOrder = async (orderId: string) => {
    const res = await fetch(`${tenantUrl()}/v1/tenants?limit=100`, { headers: auth });
    // The page's JSON text comes from Postgres as it is (TenantReadQuery.pageJson): still JSON to a client.
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const list = (await res.json()) as { items: { id: string; orderId: string }[] };
    return list.items.find((t) => t.orderId === orderId);
  };
  const waitStatus = (id: string, status: string, timeoutMs = 60_000) =>
    eventually(async () => ((await getTenant(id)).status === status ? getTenant(id) : undefined), timeoutMs, 200);

  let pgLog = { file: '', offset: 0 };

  beforeAll(async () => {
    nc = await natsConnect();
    auth = await authHeaders('admin');
    // S5: every statement of every service role goes to the server log for this suite.
    pgLog = { file: pgLogFile(), offset: statSync(pgLogFile()).size };
    await statementLogging(true);
    platform = await startTestPlatform(nc, { sites: 2, portBase: await freePortBase() });
    for (const site of ['site-1', 'site-2']) {
      await fetch(`${admin()}/sites/${site}/faults`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ taskDurationsMs: { '*': 30 } }),
      });
    }
  }, 120_000);

  afterAll(async () => {
    await statementLogging(false);
    await platform?.stop();
    await (await nc.jetstreamManager()).streams.delete(platform.messaging.stream).catch(() => undefined);
    await nc?.close();
  });

  const ready: TenantView[] = [];

  it('onboards three tenants ordered on NATS and one over REST, 5 VMs each, all the way to ready', async () => {
    const client = clientFor(nc, platform.messaging);
    const orders = [order('bus-a'), order('bus-b'), order('bus-c'), order('rest-d')];
    // The VMs exist on both sites (placement picks one): bus-a and bus-c as devices with a Network
    // Agent (cloned from templates), bus-b and rest-d as machines no server manages yet (mixed
    // Windows and Linux): the Network Agent is pushed to them first.
    const unmanaged = new Set([1, 3]);
    for (const [i, o] of orders.entries()) {
      await seedHosts(o.vms, 'site-1', unmanaged.has(i));
      await seedHosts(o.vms, 'site-2', unmanaged.has(i));
    }
    for (const o of orders.slice(0, 3)) await client.publishEvent(TenantRequested, envelope(o));
    expect((await postTenant(orders[3])).status).toBe(202);
    for (const o of orders) {
      const t = await eventually(() => tenantByOrder(o.orderId), 30_000, 200);
      ready.push(await waitStatus(t.id, 'ready', 90_000));
    }
    for (const [i, t] of ready.entries()) {
      expect(t.timeline.map((s) => s.status)).toEqual([
        'succeeded',
        'succeeded',
        'succeeded',
        'succeeded',
        'succeeded',
        'succeeded',
      ]);
      expect(t.vms).toMatchObject({ requested: 5, installed: 5, registered: 5 });
      const sim = await simState(t.siteId);
      const isTenant = sim.integrationServer.tenants.filter((x) => x.name === orders[i].tenantName);
      expect(isTenant).toHaveLength(1);
      expect(isTenant[0].status).toBe('Active');
      const vsId = Number(isTenant[0].vKsc!.id);
      expect(sim.ksc.virtualServers.filter((v) => v.dn === orders[i].tenantName)).toHaveLength(1);
      expect(sim.ksc.users.filter((u) => u.name === orders[i].adminAccountName)).toEqual([
        expect.objectContaining({ vsId }),
      ]);
      for (const vm of orders[i].vms) {
        const host = sim.ksc.hosts.find((h) => h.biosId === vm.biosUuid.toLowerCase() && h.vsId === vsId);
        // The Network Agent and the Light Agent of the VM's own OS family, each installed once.
        const lightAgent = SEED_LIGHT_AGENT[vm.osFamily].product;
        expect(host?.products).toEqual(['1103', lightAgent]);
        expect(host?.installs).toEqual(unmanaged.has(i) ? ['1103', lightAgent] : [lightAgent]);
        expect(sim.integrationServer.vms.find((v) => v.biosId === vm.biosUuid.toLowerCase())?.tenantId).toBe(
          isTenant[0].id,
        );
      }
    }
  }, 180_000);

  it("each tenant's Light Agent policies (one per OS family), read back through SsContents over HTTPS, hold the reference settings plus the IS address/port and SVM settings, all locked", async () => {
    const t = ready[0];
    const view = (await (
      await fetch(`${platform.url('svm-config-service')}/v1/svm-configs/${t.id}`, { headers: auth })
    ).json()) as {
      output: { lightAgentPolicies: { osFamily: 'windows' | 'linux'; policyId: number; referencePolicyId: number }[] };
    };
    expect(view.output.lightAgentPolicies.map((p) => p.osFamily)).toEqual(['linux', 'windows']);
    const endpoint = platform.simulator.endpoints.find((e) => e.siteId === t.siteId)!;
    const ksc = new KscClient({
      baseUrl: endpoint.kscUrl.replace('127.0.0.1', 'localhost'),
      credentials: { user: 'svc-onboard', password: devSecrets().simulatorKscPassword },
      tls: { caPem: readFileSync(join(platform.stateDir, 'certificate.pem'), 'utf8') },
    });
    const session = await ksc.startSession();
    try {
      const api = new PolicyApi(session);
      for (const la of view.output.lightAgentPolicies) {
        const { product, version } = SEED_LIGHT_AGENT[la.osFamily];
        expect(la.referencePolicyId).toBe(SEED_REFERENCE_POLICY_IDS[la.osFamily]);
        expect(await api.getPolicyData(la.policyId)).toMatchObject({ KLPOL_PRODUCT: product, KLPOL_ACTIVE: true });
        const read = (id: number) =>
          api.withPolicyContents(id, async (c) => ({
            connection: decodePolicySection(await c.read(product, version, SEED_LA_SECTION)),
            other: decodePolicySection(await c.read(product, version, SEED_LA_OTHER_SECTION)),
          }));
        const [clone, reference] = [await read(la.policyId), await read(la.referencePolicyId)];
        expect(clone.other).toEqual(reference.other);
        expect(clone.connection.SvmSelectionAlgorithm).toEqual(reference.connection.SvmSelectionAlgorithm);
        expect(clone.connection).toMatchObject({
          [SEED_LA_VARIABLES.discoveryMethod]: {
            value: SEED_LA_VARIABLES.discoveryMethodIntegrationServer,
            locked: true,
          },
          [SEED_LA_VARIABLES.integrationServerAddress]: { value: '127.0.0.1', locked: true },
          [SEED_LA_VARIABLES.integrationServerPort]: { value: 7271, locked: true },
          [SEED_LA_VARIABLES.connectionTags]: { value: [], locked: true },
          [SEED_LA_VARIABLES.svmPathScope]: { value: 'any', locked: true },
        });
      }
    } finally {
      await session.endSession();
      await ksc.close();
    }
  });

  it('npm run ksc:capture reads a registered site through the registry and writes a reviewed-before-use template without secrets', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'capture-')), 'site-1.json');
    const r = spawnSync(
      process.execPath,
      ['-r', './tools/register-paths.js', 'dist/tools/ksc-capture/ksc-capture.js', '--site', 'site-1', '--out', out],
      {
        env: {
          ...process.env,
          SITE_DIRECTORY_URL: tenantUrl(),
          INTERNAL_API_KEY: serviceKeyOf(devSecrets().internalToken, 'svm-config-service'),
          SITE_URL_ALLOW: 'loopback',
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.stderr).toMatch(/captured 3 reference policies/);
    expect(r.status).toBe(0);
    const text = readFileSync(out, 'utf8');
    const template = JSON.parse(text) as {
      site: { id: string };
      deployment: { osFamilies: { osFamily: string }[] };
      findings: string[];
    };
    expect(template.site.id).toBe('site-1');
    expect(template.deployment.osFamilies.map((f) => f.osFamily).sort()).toEqual(['linux', 'windows']);
    expect(template.findings.filter((f) => /not in policy|could not be read/.test(f))).toEqual([]);
    for (const secret of [
      devSecrets().simulatorKscPassword,
      devSecrets().simulatorIsPassword,
      devSecrets().simulatorPushInstallPassword,
    ])
      expect(text).not.toContain(secret);
  });

  it('R1/R2: the same order with a new event id gives one tenant (and a TenantRequestDuplicate event)', async () => {
    const o = order('dup', 1);
    await seedHosts(o.vms, 'site-1');
    await seedHosts(o.vms, 'site-2');
    const client = clientFor(nc, platform.messaging);
    await client.publishEvent(TenantRequested, envelope(o));
    const t = await eventually(() => tenantByOrder(o.orderId), 30_000, 200);
    await client.publishEvent(TenantRequested, envelope(o));
    const again = await postTenant(o);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(t.id);
    await eventually(async () =>
      (await platform.streamMessages()).some(
        (m) =>
          m.envelope?.type === 'com.tpo.tenant-request-duplicate.v1' &&
          (m.envelope.data as { orderId: string }).orderId === o.orderId,
      ),
    );
    await waitStatus(t.id, 'ready', 60_000);
    const list = (await (await fetch(`${tenantUrl()}/v1/tenants?limit=100`, { headers: auth })).json()) as {
      items: { orderId: string }[];
    };
    expect(list.items.filter((x) => x.orderId === o.orderId)).toHaveLength(1);
  }, 90_000);

  it('a VM whose installation fails is reported per VM while the others are activated (policy: proceed with the VMs that made it)', async () => {
    const o = order('partial', 3);
    const broken = o.vms[1];
    for (const site of ['site-1', 'site-2']) {
      await seedHosts(o.vms, site);
      await fetch(`${admin()}/sites/${site}/faults`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ failingHosts: [broken.name] }),
      });
    }
    expect((await postTenant(o)).status).toBe(202);
    const t = await eventually(() => tenantByOrder(o.orderId), 30_000, 200);
    const done = await waitStatus(t.id, 'ready', 90_000);
    expect(done.vms).toMatchObject({ requested: 3, installed: 2, registered: 2 });
    expect(done.vms.installFailed).toEqual([
      expect.objectContaining({ biosUuid: broken.biosUuid, code: expect.any(String) }),
    ]);
    const sim = await simState(done.siteId);
    expect(sim.integrationServer.vms.some((v) => v.biosId === broken.biosUuid.toLowerCase())).toBe(false);
    for (const site of ['site-1', 'site-2']) {
      await fetch(`${admin()}/sites/${site}/faults`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ failingHosts: [] }),
      });
    }
  }, 120_000);

  it('a full site sends the tenant to another site; with every site full the order is rejected with a clear reason', async () => {
    const sites = (await (await fetch(`${tenantUrl()}/v1/sites`, { headers: auth })).json()) as {
      items: { id: string; placedTenants: number }[];
    };
    const setMax = (id: string, max: number) =>
      fetch(`${tenantUrl()}/v1/sites/${id}`, {
        method: 'PATCH',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ maxVirtualServers: max }),
      });
    const s1 = sites.items.find((s) => s.id === 'site-1')!;
    expect((await setMax('site-1', Math.max(1, s1.placedTenants))).status).toBe(200);
    const o = order('overflow', 1, { preferredSiteId: 'site-1' });
    await seedHosts(o.vms, 'site-2');
    const res = await postTenant(o);
    expect(res.status).toBe(202);
    expect(((await res.json()) as { siteId: string }).siteId).toBe('site-2');

    const now = (await (await fetch(`${tenantUrl()}/v1/sites`, { headers: auth })).json()) as {
      items: { id: string; placedTenants: number }[];
    };
    for (const s of now.items) await setMax(s.id, Math.max(1, s.placedTenants));
    const rejected = await postTenant(order('nowhere', 1));
    expect(rejected.status).toBe(409);
    expect(await rejected.json()).toMatchObject({
      error: {
        code: 'NO_SITE_CAPACITY',
        message: expect.stringContaining('no site has a free virtual Administration Server'),
      },
    });
    const busOrder = order('nowhere-bus', 1);
    await clientFor(nc, platform.messaging).publishEvent(TenantRequested, envelope(busOrder));
    await eventually(async () =>
      (await platform.streamMessages()).some(
        (m) =>
          m.envelope?.type === 'com.tpo.tenant-request-rejected.v1' &&
          (m.envelope.data as { orderId?: string; code: string }).orderId === busOrder.orderId &&
          (m.envelope.data as { code: string }).code === 'NO_SITE_CAPACITY',
      ),
    );
    expect(await tenantByOrder(busOrder.orderId)).toBeUndefined();
    for (const s of now.items) await setMax(s.id, 500);
  }, 90_000);

  it('a failed activation task leaves the tenant failed at that step with its code; a retry after clearing the fault completes it with one CreateTenant in total', async () => {
    const o = order('retry', 2);
    for (const site of ['site-1', 'site-2']) {
      await seedHosts(o.vms, site);
      await fetch(`${admin()}/sites/${site}/faults`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          taskFailures: {
            ChangeTenantActivation: {
              code: 'KSC_ConnectionLost',
              message: 'simulated activation failure',
              remaining: 1,
            },
          },
        }),
      });
    }
    expect((await postTenant(o)).status).toBe(202);
    const t = await eventually(() => tenantByOrder(o.orderId), 30_000, 200);
    const failed = await waitStatus(t.id, 'failed', 90_000);
    expect(failed.failure).toMatchObject({ step: 'activate', code: 'KSC_ConnectionLost', retryable: true });
    expect(failed.timeline.find((s) => s.step === 'activate')).toMatchObject({
      status: 'failed',
      errorCode: 'KSC_ConnectionLost',
    });
    const site = failed.siteId;
    const other = site === 'site-1' ? 'site-2' : 'site-1';
    await fetch(`${admin()}/sites/${other}/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ taskFailures: {} }),
    });
    const creates = (await simState(site)).integrationServer.tenants.filter((x) => x.name === o.tenantName).length;
    expect(creates).toBe(1);
    expect((await fetch(`${tenantUrl()}/v1/tenants/${t.id}/retry`, { headers: auth, method: 'POST' })).status).toBe(
      202,
    );
    const done = await waitStatus(t.id, 'ready', 60_000);
    expect(done.timeline.find((s) => s.step === 'activate')).toMatchObject({ status: 'succeeded' });
    const tasks = (
      (await simState(site)) as unknown as {
        integrationServer: { tasks: { type: string }[]; tenants: { name: string }[] };
      }
    ).integrationServer;
    expect(tasks.tenants.filter((x) => x.name === o.tenantName)).toHaveLength(1);
    expect((await fetch(`${tenantUrl()}/v1/tenants/${t.id}/retry`, { headers: auth, method: 'POST' })).status).toBe(
      409,
    );
  }, 150_000);

  it('S1-S5: the admin password is revealed once (then 410) and is nowhere in JetStream, service logs, database rows or the PostgreSQL statement log, in plaintext, Base64 or SHA-256', async () => {
    const t = ready[0];
    const first = await fetch(`${tenantUrl()}/v1/tenants/${t.id}/credentials/reveal`, {
      headers: auth,
      method: 'POST',
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const creds = (await first.json()) as {
      password: string;
      adminAccountName: string;
      advice: string;
      administrationServer: { connectionString: string };
    };
    expect(creds.password.length).toBeGreaterThanOrEqual(16);
    expect(creds.adminAccountName).toBe(t.adminAccountName);
    expect(creds.advice).toMatch(/change/i);
    expect(creds.administrationServer.connectionString).toContain('/');
    expect(
      (await fetch(`${tenantUrl()}/v1/tenants/${t.id}/credentials/reveal`, { headers: auth, method: 'POST' })).status,
    ).toBe(410);

    const forms = [
      creds.password,
      Buffer.from(creds.password).toString('base64'),
      createHash('sha256').update(creds.password).digest('hex'),
    ];
    const messages = (await platform.streamMessages()).map((m) => m.raw).join('\n');
    const logs = platform.logs();
    const db = await dumpAllTables();
    const pgStatements = readFileSync(pgLog.file).subarray(pgLog.offset).toString('utf8');
    expect(pgStatements).toMatch(/INSERT INTO tenant_secret/); // the statement log really covers the secret's writes
    expect(pgStatements.includes(forms[0])).toBe(false);
    expect(pgStatements.includes(forms[1])).toBe(false);
    expect(messages.length).toBeGreaterThan(0);
    expect(logs.length).toBeGreaterThan(0);
    for (const f of forms) {
      expect(messages.includes(f)).toBe(false);
      expect(logs.includes(f)).toBe(false);
      expect(db.includes(f)).toBe(false);
    }
    // The vAS account really has that password: the KSC accepts it.
    const detail = await getTenant(t.id);
    expect(detail.virtualAdministrationServer?.name).toBeTruthy();
  }, 60_000);

  it('V1-V5: bad orders are rejected with reasons (event on NATS, 400 with field paths on REST) and nothing is half-created', async () => {
    const client = clientFor(nc, platform.messaging);
    const js = nc.jetstream();
    const subject = `${platform.messaging.prefix}.evt.tenant-requested.v1`;
    const bad = [
      { case: 'missing fields', data: { orderId: 'bad-missing-1' }, expect: 'tenantName' },
      {
        case: 'bad BIOS UUID',
        data: {
          ...order('badbios', 1),
          vms: [{ biosUuid: 'not-a-uuid', name: 'vm1', osFamily: 'linux', address: '10.0.0.1' }],
        },
        expect: 'vms.0.biosUuid',
      },
      { case: 'oversize VM list', data: order('huge', 501), expect: 'vms' },
      { case: ']]> in the name', data: order('cdata', 1, { tenantName: 'evil]]><x>' }), expect: 'tenantName' },
      // VMs that are no objects, or whose biosUuid is no string: once a validator threw on them, and the
      // order was retried every 5 s up to the consumer's max deliveries instead of being answered.
      { case: 'a VM that is a number', data: { ...order('vmnum', 1), vms: [1] }, expect: 'vms.0' },
      {
        case: 'a biosUuid that is a number',
        data: { ...order('biosnum', 1), vms: [{ biosUuid: 5, name: 'vm1', osFamily: 'linux', address: '10.0.0.1' }] },
        expect: 'vms.0.biosUuid',
      },
    ];
    const jsm = await nc.jetstreamManager();
    const consumer = consumerNameOf('tenant-service', TenantRequested);
    const deliveredBefore = (await jsm.consumers.info(platform.messaging.stream, consumer)).delivered.consumer_seq;
    for (const b of bad) {
      const e = envelope(b.data);
      await js.publish(subject, JSON.stringify(e), { msgID: e.id });
    }
    for (const b of bad) {
      const orderId = (b.data as { orderId: string }).orderId;
      const rejection = await eventually(async () =>
        (await platform.streamMessages()).find(
          (m) =>
            m.envelope?.type === 'com.tpo.tenant-request-rejected.v1' &&
            (m.envelope.data as { orderId?: string }).orderId === orderId,
        ),
      );
      const reasons = (rejection.envelope!.data as { reasons: { path: string }[] }).reasons
        .map((r) => r.path)
        .join(' ');
      expect({ case: b.case, reasons }).toEqual({ case: b.case, reasons: expect.stringContaining(b.expect) });
      expect(await tenantByOrder(orderId)).toBeUndefined();
    }
    // Each order was answered on its first delivery: all acked, none delivered twice, none dead-lettered.
    const settled = await eventually(async () => {
      const info = await jsm.consumers.info(platform.messaging.stream, consumer);
      return info.num_ack_pending === 0 && info.num_pending === 0 && info;
    });
    expect(settled.delivered.consumer_seq - deliveredBefore).toBe(bad.length);
    expect(settled.num_redelivered).toBe(0);
    const rest = await postTenant({
      ...order('rest-bad', 1),
      vms: [{ biosUuid: 'nope', name: 'x', osFamily: 'dos', address: '1.2.3.4', extra: true }],
      status: 'active',
    });
    expect(rest.status).toBe(400);
    const body = (await rest.json()) as { error: { details: { fields: string[] } } };
    const fields = body.error.details.fields.join(' | ');
    expect(fields).toMatch(/vms\.0\.biosUuid|biosUuid/);
    expect(fields).toMatch(/osFamily/);
    expect(fields).toMatch(/extra|status/);
    const numeric = await postTenant({
      ...order('rest-biosnum', 1),
      vms: [{ biosUuid: 5, name: 'vm1', osFamily: 'linux', address: '10.0.0.1' }],
    });
    expect(numeric.status).toBe(400);
    expect(JSON.stringify(await numeric.json())).toMatch(/biosUuid/);
    void client;
  }, 60_000);

  it('R3/S6: tenant-service killed -9 while step 1 polls the CreateTenant task resumes the same task: one CreateTenant, and the stored password opens the vAS', async () => {
    const o = order('crash', 1);
    for (const site of ['site-1', 'site-2']) {
      await seedHosts(o.vms, site);
      await fetch(`${admin()}/sites/${site}/faults`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ taskDurationsMs: { '*': 30, CreateTenant: 3000 } }),
      });
    }
    const before = {
      'site-1': (await simState('site-1')).counters.CreateTenant ?? 0,
      'site-2': (await simState('site-2')).counters.CreateTenant ?? 0,
    };
    expect((await postTenant(o)).status).toBe(202);
    const t = await eventually(() => tenantByOrder(o.orderId), 30_000, 100);
    // Wait until the task id is stored (the create call was made), then crash.
    await eventually(
      async () => {
        const view = (await getTenant(t.id)) as unknown as { timeline: { step: string; externalTaskIds?: string[] }[] };
        return (view.timeline.find((s) => s.step === 'create-tenant')?.externalTaskIds ?? []).length > 0;
      },
      20_000,
      50,
    );
    await platform.crashAndRestart('tenant-service');
    const done = await waitStatus(t.id, 'ready', 90_000);
    const site = done.siteId as 'site-1' | 'site-2';
    expect(((await simState(site)).counters.CreateTenant ?? 0) - before[site]).toBe(1);
    for (const s of ['site-1', 'site-2']) {
      await fetch(`${admin()}/sites/${s}/faults`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ taskDurationsMs: { '*': 30 } }),
      });
    }
    const creds = (await (
      await fetch(`${tenantUrl()}/v1/tenants/${t.id}/credentials/reveal`, { method: 'POST', headers: auth })
    ).json()) as { password: string; adminAccountName: string };
    const endpoint = platform.simulator.endpoints.find((e) => e.siteId === site)!;
    const ksc = new KscClient({
      baseUrl: endpoint.kscUrl.replace('127.0.0.1', 'localhost'),
      credentials: { user: creds.adminAccountName, password: creds.password },
      tls: { caPem: readFileSync(join(platform.stateDir, 'certificate.pem'), 'utf8') },
      maxAttempts: 1,
    });
    try {
      const session = await ksc.startSession({ vserver: o.tenantName });
      await session.endSession();
    } finally {
      await ksc.close();
    }
  }, 150_000);
});
