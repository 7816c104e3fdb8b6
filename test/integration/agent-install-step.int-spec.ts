import { randomUUID } from 'node:crypto';
import { AgentsInstalled, AgentsInstalledV1, EventEnvelope, OnboardingRetryRequested, OnboardingStepFailed, OnboardingStepFailedV1, SvmConfigured, SvmConfiguredV1 } from '@tpo/contracts';
import { IntegrationServerClient } from '@tpo/integration-server-client';
import { LIGHT_AGENT_PRODUCTS, NETWORK_AGENT_PRODUCT, Site } from '@tpo/kaspersky-simulator';
import { NatsConnection } from 'nats';
import request from 'supertest';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's feature module, run in-process like main.ts does
import { AgentInstallModule } from '../../apps/agent-install-service/src/agent-install/agent-install.module';
import { authHeaders, clientFor, eventually, sql, TestService } from '../support/harness';
import { startStepFixture, StepFixture } from '../support/step-fixture';
import { isolatedMessaging } from '../support/test-env';

const SERVICE = 'agent-install-service';

interface Vm {
  biosUuid: string;
  name: string;
  osFamily: 'windows' | 'linux';
  address: string;
}

interface Tenant {
  tenantId: string;
  vsId: number;
  vServerName: string;
  vms: Vm[];
  data: SvmConfiguredV1;
}

function envelope<T>(type: string, data: T, source: string): EventEnvelope<T> {
  return { specversion: '1.0', id: randomUUID(), type, source, time: new Date().toISOString(), datacontenttype: 'application/json', correlationid: randomUUID(), data };
}

async function outboxEvents<T>(type: string, tenantId: string): Promise<T[]> {
  const rows = await sql<{ envelope: EventEnvelope<T> }>(SERVICE, `SELECT envelope FROM outbox WHERE envelope->>'type' = $1 AND envelope->'data'->>'tenantId' = $2 ORDER BY seq`, [type, tenantId]);
  return rows.map((r) => r.envelope.data);
}

const hasLightAgent = (h: { products: string[] }) => h.products.some((p) => LIGHT_AGENT_PRODUCTS.includes(p));
const hasLightAgentPackage = (p: { productName: string }) => LIGHT_AGENT_PRODUCTS.includes(p.productName);
const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));

describe('agent installation step (real Postgres + NATS, simulated KSC)', () => {
  const messaging = isolatedMessaging();
  let nc: NatsConnection;
  let site: Site;
  let svc: TestService;
  let is: IntegrationServerClient;

  /** A Complete tenant (vAS + admin) through the Integration Server, and its VMs; `seeded` VMs are managed by the main KSC server. */
  const newTenant = async (vmCount: number, seeded: (index: number) => boolean = () => true): Promise<Tenant> => {
    const name = `acme-${randomUUID().slice(0, 8)}`;
    const handle = await is.createTenant({ name, type: 'Complete', vKsc: { name: `${name}-admin`, password: 'S3cure!Passw0rd' } });
    const task = await is.waitForTask(handle.taskId, { initialDelayMs: 20, maxDelayMs: 50, deadlineMs: 10_000 });
    const isTenant = task.result!.tenant!;
    const vsId = Number(isTenant.vKsc!.id);
    const vServerName = site.ksc.vservers.get(vsId)!.dn;
    const vms: Vm[] = Array.from({ length: vmCount }, (_, i) => ({ biosUuid: randomUUID(), name: `${name}-vm${i + 1}`, osFamily: i % 2 ? 'linux' : 'windows', address: `10.0.0.${i + 1}` }));
    vms.forEach((vm, i) => {
      if (!seeded(i)) return;
      site.ksc.addHost(0, {
        groupId: 0,
        dn: vm.name,
        fqdn: `${vm.name}.acme.local`,
        dnsName: vm.name,
        dnsDomain: 'acme.local',
        biosId: vm.biosUuid,
        ip: vm.address,
        nagentVersion: '15.1.0.20748',
        products: [NETWORK_AGENT_PRODUCT],
      });
    });
    const data: SvmConfiguredV1 = {
      tenantId: randomUUID(),
      siteId: site.id,
      integrationServerTenantId: isTenant.id!,
      virtualServerId: String(vsId),
      virtualServerName: vServerName,
      vms,
      applied: {
        lightAgentPolicy: 'Light Agent policy',
        discovery: 'integration-server',
        integrationServerAddress: '127.0.0.1',
        connectionTags: [],
        svmPathScope: 'tenant',
        protectionProfile: 'standard',
        protectionServerPolicy: 'Protection Server policy',
        locked: true,
      },
    };
    return { tenantId: data.tenantId, vsId, vServerName, vms, data };
  };

  const publishSvmConfigured = (t: Tenant, e = envelope(SvmConfigured.type, t.data, 'svm-config-service')) => clientFor(nc, messaging).publishEvent(SvmConfigured, e);
  const requestRetry = (t: Tenant, attempt: number) =>
    clientFor(nc, messaging).publishEvent(OnboardingRetryRequested, envelope(OnboardingRetryRequested.type, { tenantId: t.tenantId, step: 'install-agents' as const, attempt }, 'tenant-service'));
  const installedEvents = (t: Tenant) => outboxEvents<AgentsInstalledV1>(AgentsInstalled.type, t.tenantId);
  const vasHosts = (t: Tenant) => site.ksc.hostsOf(t.vsId).filter((h) => t.vms.some((vm) => vm.name === h.dn));
  const failingHosts = (...ids: string[]) => site.faults.merge({ failingHosts: ids });

  let fixture: StepFixture;

  beforeAll(async () => {
    fixture = await startStepFixture({
      service: SERVICE,
      messaging,
      consumes: ['svm-configured.v1', 'onboarding-retry-requested.v1', 'agents-install-requested.v1', 'agents-release-requested.v1'],
      feature: AgentInstallModule,
      // Shorter asynchronous-action check delay than the default 1 s (the client floors it at 500 ms).
      prepareSite: (s) => (s.assumptions = { ...s.assumptions, kscAsyncCheckDelayMs: 500 }),
    });
    ({ site, is, nc, svc } = fixture);
  });

  afterAll(() => fixture?.close());

  beforeEach(() => failingHosts());

  describe('a tenant whose five VMs are all managed by the main server', () => {
    let t: Tenant;
    let first: EventEnvelope<SvmConfiguredV1>;

    beforeAll(async () => {
      t = await newTenant(5);
      first = envelope(SvmConfigured.type, t.data, 'svm-config-service');
      await publishSvmConfigured(t, first);
      await eventually(async () => (await installedEvents(t)).length === 1, 30_000);
    });

    it('reports all five VMs installed', async () => {
      const [event] = await installedEvents(t);
      expect(event).toMatchObject({ tenantId: t.tenantId, siteId: site.id, integrationServerTenantId: t.data.integrationServerTenantId, virtualServerName: t.vServerName, failed: [] });
      expect(byName(event.succeeded)).toEqual(byName(t.vms.map(({ biosUuid, name }) => ({ biosUuid, name }))));
    });

    it('leaves the VMs in the virtual server, in Managed devices, with the Light Agent installed', () => {
      const vs = site.ksc.vservers.get(t.vsId)!;
      const hosts = vasHosts(t);
      expect(hosts).toHaveLength(5);
      for (const h of hosts) {
        expect(h.groupId).toBe(vs.groupsId);
        expect(h.products).toContain(NETWORK_AGENT_PRODUCT);
        expect(hasLightAgent(h)).toBe(true);
      }
      expect(site.ksc.hostsOf(0).filter((h) => t.vms.some((vm) => vm.name === h.dn))).toEqual([]);
    });

    it('copies the Network Agent and Light Agent packages into the virtual server', () => {
      const copies = site.ksc.packagesOf(t.vsId);
      expect(copies.map((p) => p.productName)).toHaveLength(2);
      expect(copies.some((p) => p.productName === NETWORK_AGENT_PRODUCT) && copies.some(hasLightAgentPackage)).toBe(true);
      expect(copies.every((p) => p.retranslatedFrom !== undefined && site.ksc.packages.get(p.retranslatedFrom)?.vsId === 0)).toBe(true);
    });

    it('deletes the KSC tasks it created once their results are read, and ends its sessions', () => {
      const snapshot = site.kscProtocol!.snapshot() as { tasks: { displayName?: string }[]; sessions: unknown[] };
      expect(snapshot.tasks.filter((task) => String(task.displayName ?? '').includes(t.vServerName))).toEqual([]);
      expect(site.counters.get('Tasks.DeleteTask')).toBeGreaterThanOrEqual(2);
      expect(site.counters.get('Session.EndSession')).toBe(site.counters.get('Session.StartSession'));
    });

    it('shows each VM as installed over REST, with its device id in the virtual server', async () => {
      const res = await request(svc.url).get(`/v1/installs/${t.tenantId}`).set(await authHeaders()).expect(200);
      expect(res.body).toMatchObject({ tenantId: t.tenantId, step: 'install-agents', status: 'succeeded', attempt: 1 });
      expect(res.body.input).toBeUndefined();
      const ids = new Map(vasHosts(t).map((h) => [h.dn, h.hostName]));
      expect(res.body.vms).toHaveLength(5);
      for (const vm of res.body.vms) expect(vm).toMatchObject({ status: 'succeeded', errorCode: null, detail: { vServerHostId: ids.get(vm.name) } });
      const list = await request(svc.url).get('/v1/installs?status=succeeded&limit=100').set(await authHeaders()).expect(200);
      expect(list.body.items.map((i: { tenantId: string }) => i.tenantId)).toContain(t.tenantId);
      await request(svc.url).get(`/v1/installs/${randomUUID()}`).set(await authHeaders()).expect(404);
    });

    it('does not run anything again when the same input arrives again', async () => {
      const tasksBefore = site.counters.get('Tasks.AddTask');
      const sessionsBefore = site.counters.get('Session.StartSession');
      const again = await publishSvmConfigured(t, first);
      expect(again.duplicate).toBe(true);
      const copy = envelope(SvmConfigured.type, t.data, 'svm-config-service');
      await publishSvmConfigured(t, copy);
      await eventually(async () => (await sql(SERVICE, `SELECT 1 FROM inbox WHERE event_id = $1`, [copy.id])).length === 1);
      await new Promise((r) => setTimeout(r, 500));
      expect(site.counters.get('Tasks.AddTask')).toBe(tasksBefore);
      expect(site.counters.get('Session.StartSession')).toBe(sessionsBefore);
      expect(await installedEvents(t)).toHaveLength(1);
      const [jobs] = await sql<{ n: number }>(SERVICE, `SELECT count(*)::int AS n FROM job WHERE key = $1`, [t.tenantId]);
      expect(jobs.n).toBe(1);
    });
  });

  describe('a tenant with a failing VM and a VM unknown to KSC', () => {
    let t: Tenant;

    beforeAll(async () => {
      t = await newTenant(5, (i) => i !== 4);
      failingHosts(t.vms[3].biosUuid);
      await publishSvmConfigured(t);
      await eventually(async () => (await installedEvents(t)).length === 1, 30_000);
    });

    it('installs the other three and reports the two failures per VM', async () => {
      const [event] = await installedEvents(t);
      expect(byName(event.succeeded)).toEqual(byName(t.vms.slice(0, 3).map(({ biosUuid, name }) => ({ biosUuid, name }))));
      expect(byName(event.failed)).toEqual([
        { biosUuid: t.vms[3].biosUuid, name: t.vms[3].name, code: 'RECONNECTION_FAILED', message: expect.stringMatching(/failure/i) },
        { biosUuid: t.vms[4].biosUuid, name: t.vms[4].name, code: 'VM_NOT_MANAGED', message: expect.stringContaining(t.vms[4].name) },
      ]);
      expect(vasHosts(t).map((h) => h.dn).sort()).toEqual(t.vms.slice(0, 3).map((vm) => vm.name).sort());
      expect(site.ksc.hostsOf(0).find((h) => h.dn === t.vms[3].name)).toBeDefined();
    });

    it('shows the failed VMs with their code and reason over REST', async () => {
      const res = await request(svc.url).get(`/v1/installs/${t.tenantId}`).set(await authHeaders()).expect(200);
      const states = Object.fromEntries(res.body.vms.map((v: { name: string; status: string; errorCode: string | null }) => [v.name, [v.status, v.errorCode]]));
      expect(states).toEqual({
        [t.vms[0].name]: ['succeeded', null],
        [t.vms[1].name]: ['succeeded', null],
        [t.vms[2].name]: ['succeeded', null],
        [t.vms[3].name]: ['failed', 'RECONNECTION_FAILED'],
        [t.vms[4].name]: ['failed', 'VM_NOT_MANAGED'],
      });
    });

    it('on a retry redoes only the VMs that failed, keeping the installed ones as they are', async () => {
      // The step succeeded (three VMs made it), so no retry would reach it; mark it failed as a step
      // given up after a KSC outage would be left, with the installed VMs kept.
      await sql(SERVICE, `UPDATE step_work SET status = 'failed', error_code = 'STEP_UNAVAILABLE' WHERE tenant_id = $1 AND step = 'install-agents'`, [t.tenantId]);
      await sql(SERVICE, `UPDATE job SET status = 'failed' WHERE kind = 'install-agents' AND key = $1`, [t.tenantId]);
      const before = new Map(vasHosts(t).map((h) => [h.dn, h.hostName]));
      site.ksc.addHost(0, { groupId: 0, dn: t.vms[4].name, fqdn: t.vms[4].name, dnsName: t.vms[4].name, dnsDomain: '', biosId: t.vms[4].biosUuid, nagentVersion: '15.1.0.20748', products: [NETWORK_AGENT_PRODUCT] });
      const addedBefore = site.counters.get('Tasks.AddHostToTask');
      await requestRetry(t, 2);
      await eventually(async () => (await installedEvents(t)).length === 2, 30_000);
      const [, second] = await installedEvents(t);
      expect(second.failed).toEqual([]);
      expect(second.succeeded).toHaveLength(5);
      // Two devices reconnected and two installed: the three installed VMs were not touched.
      expect(site.counters.get('Tasks.AddHostToTask') - addedBefore).toBe(4);
      for (const [dn, id] of before) expect(vasHosts(t).find((h) => h.dn === dn)?.hostName).toBe(id);
      expect(vasHosts(t).every((h) => hasLightAgent(h))).toBe(true);
      const res = await request(svc.url).get(`/v1/installs/${t.tenantId}`).set(await authHeaders()).expect(200);
      expect(res.body).toMatchObject({ status: 'succeeded', attempt: 2 });
    });
  });

  describe('a restart while the reconnection task runs', () => {
    afterAll(() => site.faults.merge({ taskDurationsMs: { '*': 20 } }));

    it('picks up the same KSC task afterwards instead of creating another', async () => {
      const t = await newTenant(2);
      site.faults.merge({ taskDurationsMs: { '*': 20, KLNAG_TASK_RECONNECTION: 2500 } });
      const tasksBefore = site.counters.get('Tasks.AddTask');
      await publishSvmConfigured(t);
      const recorded = await eventually(async () => {
        const rows = await sql<{ task: string | null; started: string | null }>(
          SERVICE,
          `SELECT detail->>'taskId' AS task, detail->>'startedAt' AS started FROM step_vm WHERE tenant_id = $1 AND step = 'install-agents'`,
          [t.tenantId],
        );
        return rows.length === 2 && rows.every((r) => r.task && r.started) ? rows : undefined;
      }, 20_000);
      await svc.close();
      svc = await fixture.restart();
      await eventually(async () => (await installedEvents(t)).length === 1, 30_000);
      const [event] = await installedEvents(t);
      expect(event.succeeded).toHaveLength(2);
      // One reconnection task (resumed after the restart) and one installation task.
      expect(site.counters.get('Tasks.AddTask') - tasksBefore).toBe(2);
      expect(new Set(recorded.map((r) => r.task)).size).toBe(1);
      expect(vasHosts(t).every((h) => hasLightAgent(h))).toBe(true);
    });
  });

  describe('a tenant where no VM makes it', () => {
    let t: Tenant;

    beforeAll(async () => {
      t = await newTenant(2);
      failingHosts(...t.vms.map((vm) => vm.biosUuid));
      await publishSvmConfigured(t);
      await eventually(async () => (await outboxEvents(OnboardingStepFailed.type, t.tenantId)).length === 1, 30_000);
    });

    it('fails the step as retryable and emits no AgentsInstalled', async () => {
      const [failure] = await outboxEvents<OnboardingStepFailedV1>(OnboardingStepFailed.type, t.tenantId);
      expect(failure).toMatchObject({ tenantId: t.tenantId, step: 'install-agents', code: 'NO_AGENT_INSTALLED', retryable: true, attempt: 1 });
      expect(await installedEvents(t)).toEqual([]);
      const res = await request(svc.url).get(`/v1/installs/${t.tenantId}`).set(await authHeaders()).expect(200);
      expect(res.body).toMatchObject({ status: 'failed', errorCode: 'NO_AGENT_INSTALLED', retryable: true });
      expect(res.body.vms.map((v: { status: string; errorCode: string }) => [v.status, v.errorCode])).toEqual([
        ['failed', 'RECONNECTION_FAILED'],
        ['failed', 'RECONNECTION_FAILED'],
      ]);
    });

    it('installs the VM whose fault was cleared when an admin retries', async () => {
      failingHosts(t.vms[1].biosUuid);
      await requestRetry(t, 2);
      await eventually(async () => (await installedEvents(t)).length === 1, 30_000);
      const [event] = await installedEvents(t);
      expect(event.succeeded).toEqual([{ biosUuid: t.vms[0].biosUuid, name: t.vms[0].name }]);
      expect(event.failed).toEqual([expect.objectContaining({ biosUuid: t.vms[1].biosUuid, code: 'RECONNECTION_FAILED' })]);
      expect(vasHosts(t).map((h) => h.dn)).toEqual([t.vms[0].name]);
    });
  });
});
