import { randomUUID } from 'node:crypto';
import {
  AgentsInstalled,
  AgentsInstalledV1,
  EventEnvelope,
  OnboardingRetryRequested,
  OnboardingStepFailed,
  OnboardingStepFailedV1,
  SvmConfigured,
  SvmConfiguredV1,
} from '@tpo/contracts';
import { IntegrationServerClient } from '@tpo/integration-server-client';
import { LIGHT_AGENT_PRODUCTS, NETWORK_AGENT_PRODUCT, SEED_LIGHT_AGENT, Site } from '@tpo/kaspersky-simulator';
import { KasperskyClients } from '@tpo/site-directory';
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

/** How a VM exists before onboarding: managed by the main server, a machine on the network only, or also discovered (a record without Network Agent), or nowhere. */
type Seed = 'managed' | 'network' | 'discovered' | 'none';

let subnet = 0;

interface Tenant {
  tenantId: string;
  vsId: number;
  vServerName: string;
  vms: Vm[];
  data: SvmConfiguredV1;
}

function envelope<T>(type: string, data: T, source: string): EventEnvelope<T> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    type,
    source,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    correlationid: randomUUID(),
    data,
  };
}

async function outboxEvents<T>(type: string, tenantId: string): Promise<T[]> {
  const rows = await sql<{ envelope: EventEnvelope<T> }>(
    SERVICE,
    `SELECT envelope FROM outbox WHERE envelope->>'type' = $1 AND envelope->'data'->>'tenantId' = $2 ORDER BY seq`,
    [type, tenantId],
  );
  return rows.map((r) => r.envelope.data);
}

const hasLightAgent = (h: { products: string[] }) => h.products.some((p) => LIGHT_AGENT_PRODUCTS.includes(p));
const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));

describe('agent installation step (real Postgres + NATS, simulated KSC)', () => {
  const messaging = isolatedMessaging();
  let nc: NatsConnection;
  let site: Site;
  let svc: TestService;
  let is: IntegrationServerClient;

  /** A Complete tenant (vAS + admin) through the Integration Server, and its VMs (even index Windows, odd Linux), seeded as `seed` says. */
  const newTenant = async (vmCount: number, seed: (index: number) => Seed = () => 'managed'): Promise<Tenant> => {
    const name = `acme-${randomUUID().slice(0, 8)}`;
    const handle = await is.createTenant({
      name,
      type: 'Complete',
      vKsc: { name: `${name}-admin`, password: 'S3cure!Passw0rd' },
    });
    const task = await is.waitForTask(handle.taskId, { initialDelayMs: 20, maxDelayMs: 50, deadlineMs: 10_000 });
    const isTenant = task.result!.tenant!;
    const vsId = Number(isTenant.vKsc!.id);
    const vServerName = site.ksc.vservers.get(vsId)!.dn;
    const net = ++subnet;
    const vms: Vm[] = Array.from({ length: vmCount }, (_, i) => ({
      biosUuid: randomUUID(),
      name: `${name}-vm${i + 1}`,
      osFamily: i % 2 ? 'linux' : 'windows',
      address: `10.${net}.0.${i + 1}`,
    }));
    vms.forEach((vm, i) => seedVm(vm, seed(i)));
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

  const seedVm = (vm: Vm, how: Seed) => {
    if (how === 'none') return;
    const fqdn = `${vm.name}.acme.local`;
    if (how !== 'managed')
      site.ksc.addNetworkMachine({ ip: vm.address, name: vm.name, fqdn, biosId: vm.biosUuid, osFamily: vm.osFamily });
    if (how === 'network') return;
    site.ksc.addHost(0, {
      groupId: how === 'managed' ? 0 : 1,
      dn: vm.name,
      fqdn,
      dnsName: vm.name,
      dnsDomain: 'acme.local',
      biosId: vm.biosUuid,
      ip: vm.address,
      osFamily: vm.osFamily,
      nagentVersion: how === 'managed' ? '15.1.0.20748' : undefined,
      products: how === 'managed' ? [NETWORK_AGENT_PRODUCT] : [],
    });
  };
  const lightAgentOf = (vm: Vm) => SEED_LIGHT_AGENT[vm.osFamily].product;
  /** The VM's device in the tenant's vAS (by BIOS id, which the simulator keeps across moves). */
  const vasHostOf = (t: Tenant, vm: Vm) => site.ksc.hostsOf(t.vsId).find((h) => h.biosId === vm.biosUuid);
  const publishSvmConfigured = (t: Tenant, e = envelope(SvmConfigured.type, t.data, 'svm-config-service')) =>
    clientFor(nc, messaging).publishEvent(SvmConfigured, e);
  const requestRetry = (t: Tenant, attempt: number) =>
    clientFor(nc, messaging).publishEvent(
      OnboardingRetryRequested,
      envelope(
        OnboardingRetryRequested.type,
        { tenantId: t.tenantId, step: 'install-agents' as const, attempt },
        'tenant-service',
      ),
    );
  const installedEvents = (t: Tenant) => outboxEvents<AgentsInstalledV1>(AgentsInstalled.type, t.tenantId);
  const vasHosts = (t: Tenant) => site.ksc.hostsOf(t.vsId).filter((h) => t.vms.some((vm) => vm.name === h.dn));
  const failingHosts = (...ids: string[]) => site.faults.merge({ failingHosts: ids });

  let fixture: StepFixture;

  beforeAll(async () => {
    fixture = await startStepFixture({
      service: SERVICE,
      messaging,
      consumes: [
        'svm-configured.v1',
        'onboarding-retry-requested.v1',
        'agents-install-requested.v1',
        'agents-release-requested.v1',
      ],
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
      expect(event).toMatchObject({
        tenantId: t.tenantId,
        siteId: site.id,
        integrationServerTenantId: t.data.integrationServerTenantId,
        virtualServerName: t.vServerName,
        failed: [],
      });
      expect(byName(event.succeeded)).toEqual(byName(t.vms.map(({ biosUuid, name }) => ({ biosUuid, name }))));
    });

    it('leaves the VMs in the virtual server, in Managed devices, with the Light Agent installed', () => {
      const vs = site.ksc.vservers.get(t.vsId)!;
      const hosts = vasHosts(t);
      expect(hosts).toHaveLength(5);
      for (const h of hosts) expect(h.groupId).toBe(vs.groupsId);
      // The Light Agent of each VM's own OS family, installed once.
      for (const vm of t.vms)
        expect(vasHostOf(t, vm)).toMatchObject({
          products: [NETWORK_AGENT_PRODUCT, lightAgentOf(vm)],
          installs: [lightAgentOf(vm)],
        });
      expect(site.ksc.hostsOf(0).filter((h) => t.vms.some((vm) => vm.name === h.dn))).toEqual([]);
    });

    it('copies the Light Agent package of each OS family in use into the virtual server', () => {
      const copies = site.ksc.packagesOf(t.vsId);
      expect(copies.map((p) => p.productName).sort()).toEqual(
        [SEED_LIGHT_AGENT.linux.product, SEED_LIGHT_AGENT.windows.product].sort(),
      );
      expect(
        copies.every((p) => p.retranslatedFrom !== undefined && site.ksc.packages.get(p.retranslatedFrom)?.vsId === 0),
      ).toBe(true);
    });

    it('deletes the KSC tasks it created once their results are read, ends its vAS session and returns the main one to the pool', async () => {
      const snapshot = site.kscProtocol!.snapshot() as {
        tasks: { displayName?: string }[];
        sessions: { vsId: number }[];
      };
      expect(snapshot.tasks.filter((task) => String(task.displayName ?? '').includes(t.vServerName))).toEqual([]);
      expect(site.counters.get('Tasks.DeleteTask')).toBeGreaterThanOrEqual(3);
      // Only the pool's idle main-server sessions are still open; nothing inside the tenant's vAS.
      const { sessions } = await svc.app.get(KasperskyClients).kscClient(site.id);
      expect(sessions.size).toEqual({ idle: 1, lent: 0 });
      expect(snapshot.sessions.map((s) => s.vsId)).toEqual([0]);
      expect(site.counters.get('Session.StartSession') - site.counters.get('Session.EndSession')).toBe(1);
    });

    it('shows each VM as installed over REST, with its device id in the virtual server', async () => {
      const res = await request(svc.url)
        .get(`/v1/installs/${t.tenantId}`)
        .set(await authHeaders())
        .expect(200);
      expect(res.body).toMatchObject({ tenantId: t.tenantId, step: 'install-agents', status: 'succeeded', attempt: 1 });
      expect(res.body.input).toBeUndefined();
      const ids = new Map(vasHosts(t).map((h) => [h.dn, h.hostName]));
      expect(res.body.vms).toHaveLength(5);
      for (const vm of res.body.vms)
        expect(vm).toMatchObject({ status: 'succeeded', errorCode: null, detail: { vServerHostId: ids.get(vm.name) } });
      const list = await request(svc.url)
        .get('/v1/installs?status=succeeded&limit=100')
        .set(await authHeaders())
        .expect(200);
      expect(list.body.items.map((i: { tenantId: string }) => i.tenantId)).toContain(t.tenantId);
      await request(svc.url)
        .get(`/v1/installs/${randomUUID()}`)
        .set(await authHeaders())
        .expect(404);
    });

    it('does not run anything again when the same input arrives again', async () => {
      const tasksBefore = site.counters.get('Tasks.AddTask');
      const sessionsBefore = site.counters.get('Session.StartSession');
      const again = await publishSvmConfigured(t, first);
      expect(again.duplicate).toBe(true);
      const copy = envelope(SvmConfigured.type, t.data, 'svm-config-service');
      await publishSvmConfigured(t, copy);
      await eventually(
        async () => (await sql(SERVICE, `SELECT 1 FROM inbox WHERE event_id = $1`, [copy.id])).length === 1,
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(site.counters.get('Tasks.AddTask')).toBe(tasksBefore);
      expect(site.counters.get('Session.StartSession')).toBe(sessionsBefore);
      expect(await installedEvents(t)).toHaveLength(1);
      const [jobs] = await sql<{ n: number }>(SERVICE, `SELECT count(*)::int AS n FROM job WHERE key = $1`, [
        t.tenantId,
      ]);
      expect(jobs.n).toBe(1);
    });
  });

  describe('a tenant with a failing VM and a VM at an address where no machine answers', () => {
    let t: Tenant;

    beforeAll(async () => {
      t = await newTenant(5, (i) => (i === 4 ? 'none' : 'managed'));
      failingHosts(t.vms[3].biosUuid);
      await publishSvmConfigured(t);
      await eventually(async () => (await installedEvents(t)).length === 1, 30_000);
    });

    it('installs the other three and reports the two failures per VM', async () => {
      const [event] = await installedEvents(t);
      expect(byName(event.succeeded)).toEqual(
        byName(t.vms.slice(0, 3).map(({ biosUuid, name }) => ({ biosUuid, name }))),
      );
      expect(byName(event.failed)).toEqual([
        {
          biosUuid: t.vms[3].biosUuid,
          name: t.vms[3].name,
          code: 'RECONNECTION_FAILED',
          message: expect.stringMatching(/failure/i),
        },
        {
          biosUuid: t.vms[4].biosUuid,
          name: t.vms[4].name,
          code: 'HOST_UNREACHABLE',
          message: expect.stringMatching(/offline.*reachable from the Administration Server/),
        },
      ]);
      expect(
        vasHosts(t)
          .map((h) => h.dn)
          .sort(),
      ).toEqual(
        t.vms
          .slice(0, 3)
          .map((vm) => vm.name)
          .sort(),
      );
      expect(site.ksc.hostsOf(0).find((h) => h.dn === t.vms[3].name)).toBeDefined();
    });

    it('shows the failed VMs with their code and reason over REST', async () => {
      const res = await request(svc.url)
        .get(`/v1/installs/${t.tenantId}`)
        .set(await authHeaders())
        .expect(200);
      const states = Object.fromEntries(
        res.body.vms.map((v: { name: string; status: string; errorCode: string | null }) => [
          v.name,
          [v.status, v.errorCode],
        ]),
      );
      expect(states).toEqual({
        [t.vms[0].name]: ['succeeded', null],
        [t.vms[1].name]: ['succeeded', null],
        [t.vms[2].name]: ['succeeded', null],
        [t.vms[3].name]: ['failed', 'RECONNECTION_FAILED'],
        [t.vms[4].name]: ['failed', 'HOST_UNREACHABLE'],
      });
    });

    it('on a retry redoes only the VMs that failed, keeping the installed ones as they are', async () => {
      // The step succeeded (three VMs made it), so no retry would reach it; mark it failed as a step
      // given up after a KSC outage would be left, with the installed VMs kept.
      await sql(
        SERVICE,
        `UPDATE step_work SET status = 'failed', error_code = 'STEP_UNAVAILABLE' WHERE tenant_id = $1 AND step = 'install-agents'`,
        [t.tenantId],
      );
      await sql(SERVICE, `UPDATE job SET status = 'failed' WHERE kind = 'install-agents' AND key = $1`, [t.tenantId]);
      const before = new Map(vasHosts(t).map((h) => [h.dn, h.hostName]));
      // The machine is up now: the retry pushes the Network Agent to it (its record from the first try is reused).
      site.ksc.addNetworkMachine({
        ip: t.vms[4].address,
        name: t.vms[4].name,
        fqdn: t.vms[4].name,
        biosId: t.vms[4].biosUuid,
        osFamily: t.vms[4].osFamily,
      });
      const addedBefore = site.counters.get('Tasks.AddHostToTask');
      const recordsBefore = site.counters.get('HostGroup.AddHost');
      await requestRetry(t, 2);
      await eventually(async () => (await installedEvents(t)).length === 2, 30_000);
      const [, second] = await installedEvents(t);
      expect(second.failed).toEqual([]);
      expect(second.succeeded).toHaveLength(5);
      // One push, two devices reconnected and two installed: the three installed VMs were not touched.
      expect(site.counters.get('Tasks.AddHostToTask') - addedBefore).toBe(5);
      expect(site.counters.get('HostGroup.AddHost') - recordsBefore).toBe(0);
      for (const [dn, id] of before) expect(vasHosts(t).find((h) => h.dn === dn)?.hostName).toBe(id);
      expect(vasHosts(t).every((h) => hasLightAgent(h))).toBe(true);
      const res = await request(svc.url)
        .get(`/v1/installs/${t.tenantId}`)
        .set(await authHeaders())
        .expect(200);
      expect(res.body).toMatchObject({ status: 'succeeded', attempt: 2 });
    });
  });

  /** Marks a finished step as given up (as after a KSC outage) so that an admin retry reaches it. */
  const giveUp = async (t: Tenant) => {
    await sql(
      SERVICE,
      `UPDATE step_work SET status = 'failed', error_code = 'STEP_UNAVAILABLE' WHERE tenant_id = $1 AND step = 'install-agents'`,
      [t.tenantId],
    );
    await sql(SERVICE, `UPDATE job SET status = 'failed' WHERE kind = 'install-agents' AND key = $1`, [t.tenantId]);
  };
  const vmStates = async (t: Tenant) => {
    const res = await request(svc.url)
      .get(`/v1/installs/${t.tenantId}`)
      .set(await authHeaders())
      .expect(200);
    return Object.fromEntries(
      res.body.vms.map((v: { name: string; status: string; errorCode: string | null; errorMessage: string | null }) => [
        v.name,
        { status: v.status, code: v.errorCode, message: v.errorMessage },
      ]),
    );
  };

  describe('a tenant whose Windows and Linux VMs no server manages yet', () => {
    let t: Tenant;

    beforeAll(async () => {
      // vm1-vm3 are machines on the network only; vm4 was also found by a network poll (a record without Network Agent).
      t = await newTenant(4, (i) => (i === 3 ? 'discovered' : 'network'));
      await publishSvmConfigured(t);
      await eventually(async () => (await installedEvents(t)).length === 1, 30_000);
    });

    it('installs the Network Agent and the Light Agent of its OS family on every VM, in the virtual server', async () => {
      const [event] = await installedEvents(t);
      expect(event.failed).toEqual([]);
      expect(byName(event.succeeded)).toEqual(byName(t.vms.map(({ biosUuid, name }) => ({ biosUuid, name }))));
      const vs = site.ksc.vservers.get(t.vsId)!;
      for (const vm of t.vms) {
        expect(vasHostOf(t, vm)).toMatchObject({
          groupId: vs.groupsId,
          osFamily: vm.osFamily,
          nagentVersion: expect.any(String),
          products: [NETWORK_AGENT_PRODUCT, lightAgentOf(vm)],
        });
        // Each product installed exactly once, and no VM restarted (the site's reboot mode is "never").
        expect(vasHostOf(t, vm)!.installs).toEqual([NETWORK_AGENT_PRODUCT, lightAgentOf(vm)]);
        expect(vasHostOf(t, vm)!.reboots).toBeUndefined();
      }
      expect(site.ksc.hostsOf(0).filter((h) => t.vms.some((vm) => vm.address === h.ip))).toEqual([]);
    });

    it('made one device record per machine KSC did not list, pushed with a protected account, and cleaned up its tasks', () => {
      expect(site.ksc.hostsOf(t.vsId).filter((h) => t.vms.some((vm) => vm.address === h.ip))).toHaveLength(4);
      expect(site.counters.get('Tasks.ProtectPassword')).toBeGreaterThanOrEqual(1);
      const snapshot = site.kscProtocol!.snapshot() as { tasks: { displayName?: string }[] };
      expect(snapshot.tasks.filter((task) => String(task.displayName ?? '').includes(t.vServerName))).toEqual([]);
    });
  });

  describe('per-host faults on machines no server manages yet', () => {
    let t: Tenant;

    beforeAll(async () => {
      t = await newTenant(4, () => 'network');
      site.faults.merge({
        hostFaults: {
          [t.vms[1].address]: 'unreachable',
          [t.vms[2].address]: 'access-denied',
          [t.vms[3].address]: 'reboot-required',
        },
      });
      await publishSvmConfigured(t);
      await eventually(async () => (await installedEvents(t)).length === 1, 30_000);
    });

    afterAll(() => site.faults.merge({ hostFaults: {} }));

    it('gives each faulty VM a state and a reason the admin can act on, and the rest proceeds', async () => {
      const [event] = await installedEvents(t);
      expect(event.succeeded).toEqual([{ biosUuid: t.vms[0].biosUuid, name: t.vms[0].name }]);
      const states = await vmStates(t);
      expect(states[t.vms[0].name]).toMatchObject({ status: 'succeeded', code: null });
      expect(states[t.vms[1].name]).toMatchObject({
        status: 'failed',
        code: 'HOST_UNREACHABLE',
        message: expect.stringMatching(/offline.*check that the VM is running/),
      });
      expect(states[t.vms[2].name]).toMatchObject({
        status: 'failed',
        code: 'ACCESS_DENIED',
        message: expect.stringMatching(/Access denied.*push-install account/),
      });
      expect(states[t.vms[3].name]).toMatchObject({
        status: 'failed',
        code: 'REBOOT_PENDING',
        message: expect.stringMatching(/restart/),
      });
      expect(vasHostOf(t, t.vms[0])!.installs).toEqual([NETWORK_AGENT_PRODUCT, lightAgentOf(t.vms[0])]);
      // The VM whose install waits for a restart was not restarted: the site never forces one.
      const waiting = site.ksc.hostsOf(0).find((h) => h.ip === t.vms[3].address)!;
      expect(waiting.installs).toEqual([NETWORK_AGENT_PRODUCT]);
      expect(waiting.reboots).toBeUndefined();
    });

    it('after the faults clear, a retry installs only what is missing', async () => {
      site.faults.merge({ hostFaults: {} });
      await giveUp(t);
      const installedFirst = vasHostOf(t, t.vms[0])!.hostName;
      await requestRetry(t, 2);
      await eventually(async () => (await installedEvents(t)).length === 2, 30_000);
      const [, second] = await installedEvents(t);
      expect(second.failed).toEqual([]);
      expect(second.succeeded).toHaveLength(4);
      for (const vm of t.vms) {
        // Never a second Network Agent or Light Agent install on any VM (simulator install log).
        expect(vasHostOf(t, vm)).toMatchObject({
          products: [NETWORK_AGENT_PRODUCT, lightAgentOf(vm)],
          installs: [NETWORK_AGENT_PRODUCT, lightAgentOf(vm)],
        });
      }
      expect(vasHostOf(t, t.vms[0])!.hostName).toBe(installedFirst);
      expect(await vmStates(t)).toMatchObject({
        [t.vms[0].name]: { status: 'succeeded' },
        [t.vms[3].name]: { status: 'succeeded' },
      });
    });

    it('a Light Agent already on the device counts as installed, without a task', async () => {
      const t2 = await newTenant(1, () => 'managed');
      const before = site.counters.get('Tasks.AddTask');
      // A VM already in the tenant's vAS with its Light Agent (e.g. installed by hand before the step).
      const onMain = [...site.ksc.hosts.values()].find((h) => h.ip === t2.vms[0].address)!;
      site.ksc.reconnectHostToVServer(onMain, t2.vServerName).products.push(lightAgentOf(t2.vms[0]));
      await publishSvmConfigured(t2);
      await eventually(async () => (await installedEvents(t2)).length === 1, 30_000);
      expect((await installedEvents(t2))[0].succeeded).toHaveLength(1);
      expect(site.counters.get('Tasks.AddTask')).toBe(before);
      const [row] = await sql<{ note: string }>(
        SERVICE,
        `SELECT detail->>'note' AS note FROM step_vm WHERE tenant_id = $1`,
        [t2.tenantId],
      );
      expect(row.note).toBe('ALREADY_INSTALLED');
    });
  });

  describe('bad input fails clearly before any change on the KSC', () => {
    const changes = () =>
      [
        'Tasks.AddTask',
        'Tasks.RunTask',
        'HostGroup.AddHost',
        'HostGroup.MoveHostsToGroup',
        'PackagesApi.RetranslateToVServerAsync',
        'Tasks.ProtectPassword',
      ].reduce((n, m) => n + site.counters.get(m), 0);
    let saved: { deployment: unknown; pushInstall: unknown };

    beforeEach(() => {
      saved = {
        deployment: JSON.parse(JSON.stringify(fixture.connection.deployment)),
        pushInstall: fixture.connection.ksc.pushInstall,
      };
    });

    afterEach(() => {
      fixture.connection.deployment = saved.deployment as typeof fixture.connection.deployment;
      fixture.connection.ksc.pushInstall = saved.pushInstall as typeof fixture.connection.ksc.pushInstall;
    });

    const failedStep = async (t: Tenant) => {
      await eventually(async () => (await outboxEvents(OnboardingStepFailed.type, t.tenantId)).length === 1, 30_000);
      return vmStates(t);
    };

    it('a site without a Linux package: the Linux VMs fail with PACKAGE_NOT_FOUND, nothing is changed for them', async () => {
      const linux = fixture.connection.deployment!.osFamilies.find((f) => f.osFamily === 'linux')!;
      linux.lightAgentPackage = { ...linux.lightAgentPackage, productName: 'NO-SUCH-PRODUCT' };
      const t = await newTenant(2, () => 'network');
      t.data.vms = [t.vms[1]];
      const before = changes();
      await publishSvmConfigured(t);
      expect(await failedStep(t)).toEqual({
        [t.vms[1].name]: {
          status: 'failed',
          code: 'PACKAGE_NOT_FOUND',
          message: expect.stringMatching(/no linux Light Agent \(product NO-SUCH-PRODUCT/),
        },
      });
      expect(changes()).toBe(before);
    });

    it('an OS family the site is not configured for fails with OS_FAMILY_NOT_CONFIGURED', async () => {
      fixture.connection.deployment!.osFamilies = fixture.connection.deployment!.osFamilies.filter(
        (f) => f.osFamily !== 'linux',
      );
      const t = await newTenant(2, () => 'network');
      t.data.vms = [t.vms[1]];
      const before = changes();
      await publishSvmConfigured(t);
      expect(await failedStep(t)).toEqual({
        [t.vms[1].name]: {
          status: 'failed',
          code: 'OS_FAMILY_NOT_CONFIGURED',
          message: expect.stringContaining('"linux" is not configured'),
        },
      });
      expect(changes()).toBe(before);
    });

    it('a VM that needs a push install on a site without a push-install account fails with PUSH_INSTALL_NOT_CONFIGURED', async () => {
      fixture.connection.ksc.pushInstall = undefined;
      const t = await newTenant(2, () => 'network');
      const before = changes();
      await publishSvmConfigured(t);
      const states = await failedStep(t);
      for (const vm of t.vms)
        expect(states[vm.name]).toMatchObject({
          status: 'failed',
          code: 'PUSH_INSTALL_NOT_CONFIGURED',
          message: expect.stringContaining(vm.address),
        });
      expect(changes()).toBe(before);
    });

    it('two devices with the address and the name of the VM fail the VM with AMBIGUOUS_VM_ADDRESS; another name at that address is another machine', async () => {
      const t = await newTenant(1, () => 'none');
      const n = t.vms[0].name;
      for (const dn of [n, n.toUpperCase(), 'other-tenant-vm'])
        site.ksc.addHost(0, {
          groupId: 0,
          dn,
          fqdn: dn,
          dnsName: dn,
          dnsDomain: '',
          ip: t.vms[0].address,
          nagentVersion: '15.1.0.20748',
          products: [NETWORK_AGENT_PRODUCT],
        });
      const before = changes();
      await publishSvmConfigured(t);
      expect(await failedStep(t)).toEqual({
        [t.vms[0].name]: {
          status: 'failed',
          code: 'AMBIGUOUS_VM_ADDRESS',
          message: expect.stringMatching(
            new RegExp(`${t.vms[0].address.replace(/\./g, '\\.')} \\("${n}", "${n.toUpperCase()}"\\)`),
          ),
        },
      });
      expect(changes()).toBe(before);
    });
  });

  describe('a restart while the reconnection task runs', () => {
    afterAll(() => site.faults.merge({ taskDurationsMs: { '*': 20 } }));

    it('picks up the same KSC task afterwards instead of creating or running another', async () => {
      const t = await newTenant(2);
      site.faults.merge({ taskDurationsMs: { '*': 20, KLNAG_TASK_RECONNECTION: 2500 } });
      const tasksBefore = site.counters.get('Tasks.AddTask');
      const runsBefore = site.counters.get('Tasks.RunTask:KLNAG_TASK_RECONNECTION');
      await publishSvmConfigured(t);
      const recorded = await eventually(async () => {
        const rows = await sql<{ task: string | null; started: string | null }>(
          SERVICE,
          `SELECT detail->>'taskId' AS task, detail->>'startedAt' AS started FROM step_vm WHERE tenant_id = $1 AND step = 'install-agents'`,
          [t.tenantId],
        );
        const ran = site.counters.get('Tasks.RunTask:KLNAG_TASK_RECONNECTION') > runsBefore;
        return ran && rows.length === 2 && rows.every((r) => r.task && r.started) ? rows : undefined;
      }, 20_000);
      await svc.close();
      svc = await fixture.restart();
      await eventually(async () => (await installedEvents(t)).length === 1, 30_000);
      const [event] = await installedEvents(t);
      expect(event.succeeded).toHaveLength(2);
      // One reconnection task (resumed after the restart) and one installation task per OS family.
      expect(site.counters.get('Tasks.AddTask') - tasksBefore).toBe(3);
      expect(site.counters.get('Tasks.RunTask:KLNAG_TASK_RECONNECTION') - runsBefore).toBe(1);
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
      expect(failure).toMatchObject({
        tenantId: t.tenantId,
        step: 'install-agents',
        code: 'NO_AGENT_INSTALLED',
        retryable: true,
        attempt: 1,
      });
      expect(await installedEvents(t)).toEqual([]);
      const res = await request(svc.url)
        .get(`/v1/installs/${t.tenantId}`)
        .set(await authHeaders())
        .expect(200);
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
      expect(event.failed).toEqual([
        expect.objectContaining({ biosUuid: t.vms[1].biosUuid, code: 'RECONNECTION_FAILED' }),
      ]);
      expect(vasHosts(t).map((h) => h.dn)).toEqual([t.vms[0].name]);
    });
  });
});
