import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  IntegrationServerAuthError,
  IntegrationServerClient,
  IntegrationServerClientOptions,
  IntegrationServerError,
  IsTaskFailedError,
  IsTaskTimeoutError,
  XmlSafetyError,
} from '@tpo/integration-server-client';
import { KasperskyTransportError } from '@tpo/kaspersky-http';
import { RunningSimulator, selfSignedTls, Site } from '@tpo/kaspersky-simulator';
import { SIM_IS_PASSWORD, startTestSimulator } from '../support/simulator';

const FAST = { initialDelayMs: 20, maxDelayMs: 50, deadlineMs: 10_000 };

describe('Integration Server client against the simulator (contract)', () => {
  let sim: RunningSimulator;
  let site: Site;
  let url: string;
  const clients: IntegrationServerClient[] = [];
  const client = (o: Partial<IntegrationServerClientOptions> = {}) => {
    const c = new IntegrationServerClient({
      baseUrl: url,
      password: SIM_IS_PASSWORD,
      timeoutMs: 5000,
      retryInitialDelayMs: 20,
      retryMaxDelayMs: 100,
      ...o,
    });
    clients.push(c);
    return c;
  };
  const raw = (path: string, init: RequestInit = {}) =>
    fetch(`${url}/api/2.0/virtualization${path}`, {
      ...init,
      headers: {
        Authorization: `Basic ${Buffer.from(`multitenancy:${SIM_IS_PASSWORD}`).toString('base64')}`,
        ...(init.headers as Record<string, string>),
      },
    });
  const completeTenant = async (
    c: IntegrationServerClient,
    name = `acme-${randomUUID().slice(0, 8)}`,
    admin = `${name}-admin`,
  ) => {
    const handle = await c.createTenant({
      name,
      type: 'Complete',
      description: 'Acme Corp',
      userData: 'contract=42',
      vKsc: { name: admin, password: 'S3cure!Passw0rd' },
    });
    const task = await c.waitForTask(handle.taskId, FAST);
    return { handle, task, tenant: task.result!.tenant! };
  };

  beforeAll(async () => {
    sim = await startTestSimulator([{ faults: { taskDurationsMs: { '*': 20 } } }]);
    site = sim.sites[0];
    url = sim.endpoints[0].integrationServerUrl;
  });

  afterAll(async () => {
    for (const c of clients) await c.close();
    await sim.close();
  });

  beforeEach(() => {
    site.faults.replace({ taskDurationsMs: { '*': 20 } });
    site.kscConfigured = true;
    site.counters.reset();
  });

  describe('tenants', () => {
    it('creates a Complete tenant: 202 with a task, then the tenant Inactive with its vKSC and admin account', async () => {
      const c = client();
      const { handle, task, tenant } = await completeTenant(c, 'Acme Complete', 'acme-complete-admin');
      expect(handle.task?.state).toBe('Queued');
      expect(task.state).toBe('Completed');
      expect(tenant).toMatchObject({
        name: 'Acme Complete',
        type: 'Complete',
        status: 'Inactive',
        description: 'Acme Corp',
        userData: 'contract=42',
      });
      expect(tenant.vKsc?.userName).toBe('acme-complete-admin');
      const vs = site.ksc.vservers.get(Number(tenant.vKsc!.id))!;
      expect(vs.dn).toBe('Acme Complete');
      expect(site.ksc.findUser(vs.id, 'acme-complete-admin')).toBeDefined();
      expect(await c.getTenant(tenant.id)).toMatchObject({ id: tenant.id, name: 'Acme Complete' });
      expect((await c.listTenants()).map((t) => t.id)).toContain(tenant.id);
    });

    it('creates a Simple tenant without touching KSC', async () => {
      const c = client();
      const before = site.ksc.vservers.size;
      const task = await c.waitForTask((await c.createTenant({ name: 'legacy-beta', type: 'Simple' })).taskId, FAST);
      expect(task.result?.tenant).toMatchObject({ type: 'Simple', status: 'Inactive' });
      expect(task.result?.tenant?.vKsc).toBeUndefined();
      expect(site.ksc.vservers.size).toBe(before);
    });

    it('activates and deactivates (tasks), idempotently', async () => {
      const c = client();
      const { tenant } = await completeTenant(c);
      const act = await c.waitForTask((await c.activateTenant(tenant.id)).taskId, FAST);
      expect(act.result?.text).toBe('true');
      expect((await c.getTenant(tenant.id)).status).toBe('Active');
      await c.waitForTask((await c.activateTenant(tenant.id)).taskId, FAST);
      await c.waitForTask((await c.deactivateTenant(tenant.id)).taskId, FAST);
      expect((await c.getTenant(tenant.id)).status).toBe('Inactive');
    });

    it('deletes with removeTenantArtifacts=true (vKSC gone) and =false (vKSC kept)', async () => {
      const c = client();
      const a = await completeTenant(c);
      const b = await completeTenant(c);
      await c.waitForTask((await c.deleteTenant(a.tenant.id, { removeTenantArtifacts: true })).taskId, FAST);
      await c.waitForTask((await c.deleteTenant(b.tenant.id, { removeTenantArtifacts: false })).taskId, FAST);
      expect(site.ksc.vservers.has(Number(a.tenant.vKsc!.id))).toBe(false);
      expect(site.ksc.vservers.has(Number(b.tenant.vKsc!.id))).toBe(true);
      await expect(c.getTenant(a.tenant.id)).rejects.toMatchObject({
        status: 404,
        code: 'VIRMT_TenantWithSpecifiedIdNotFound',
      });
    });

    it('reports an unknown tenant inside the activation task, not as a synchronous 404', async () => {
      const c = client();
      const handle = await c.activateTenant(randomUUID());
      await expect(c.waitForTask(handle.taskId, FAST)).rejects.toMatchObject({
        code: 'VIRMT_TenantWithSpecifiedIdNotFound',
      });
    });
  });

  describe('VMs', () => {
    it('registers one VM per call, lists, and unregisters by BIOS id or IS id; 409 for a BIOS id already registered anywhere', async () => {
      const c = client();
      const { tenant } = await completeTenant(c);
      const other = await completeTenant(c);
      const bios = [randomUUID(), randomUUID()];
      const vm1 = await c.registerVm(tenant.id, { biosId: bios[0], name: 'web-01', userData: 'rack=R12' });
      expect(vm1).toMatchObject({ biosId: bios[0], name: 'web-01', userData: 'rack=R12' });
      const vm2 = await c.registerVm(tenant.id, { biosId: bios[1] });
      expect((await c.listTenantVms(tenant.id)).map((v) => v.biosId).sort()).toEqual([...bios].sort());
      await expect(c.registerVm(other.tenant.id, { biosId: bios[0] })).rejects.toMatchObject({
        status: 409,
        code: 'VIRMT_VmWithSpecifiedBiosIdAlreadyExists',
      });
      await c.unregisterVm(tenant.id, { biosId: bios[0] });
      await c.unregisterVm(tenant.id, { vmId: vm2.id! });
      expect(await c.listTenantVms(tenant.id)).toEqual([]);
      await expect(c.unregisterVm(tenant.id, { biosId: bios[0] })).rejects.toMatchObject({
        status: 404,
        code: 'VIRMT_VmWithSpecifiedIdNotFound',
      });
      await expect(c.registerVm(randomUUID(), { biosId: randomUUID() })).rejects.toMatchObject({
        status: 404,
        code: 'VIRMT_TenantWithSpecifiedIdNotFound',
      });
    });
  });

  describe('reports', () => {
    it('generates a protection report and downloads it whole and in ranges (RFC and vendor Content-Range)', async () => {
      const c = client();
      const { tenant } = await completeTenant(c, 'Report Corp');
      const bios = randomUUID();
      await c.registerVm(tenant.id, { biosId: bios, name: 'rep-vm' });
      await c.waitForTask((await c.activateTenant(tenant.id)).taskId, FAST);
      const task = await c.waitForTask((await c.generateReport({ tenantId: tenant.id })).taskId, FAST);
      const reportId = task.result!.text!;
      const whole = await c.downloadReport(reportId);
      expect(whole.status).toBe(200);
      expect(whole.content).toMatch(
        new RegExp(`^${tenant.id};Report Corp;${bios};rep-vm;\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2};\\d{4}-`),
      );
      const part = await c.downloadReport(reportId, { start: 0, end: 9 });
      expect(part).toMatchObject({
        status: 206,
        content: whole.content.slice(0, 10),
        range: { start: 0, end: 9, total: Buffer.byteLength(whole.content) },
      });
      site.assumptions = { ...site.assumptions, isContentRangeStyle: 'vendor' };
      const vendor = await c.downloadReport(reportId, { start: 5 });
      site.assumptions = { ...site.assumptions, isContentRangeStyle: 'rfc' };
      expect(vendor.range).toMatchObject({ start: 5, total: Buffer.byteLength(whole.content) });
      expect((await raw(`/reports/tenants/${reportId}`)).status).toBe(415);
      await expect(c.downloadReport(randomUUID())).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('tasks', () => {
    it('gets, lists with filters, and cancels (200 queued, 202 running, 404 unknown, 409 final)', async () => {
      const c = client();
      const { handle } = await completeTenant(c);
      expect((await c.getTask(handle.taskId)).state).toBe('Completed');
      const created = await c.listTasks({ type: 'CreateTenant', state: 'Completed' });
      expect(created.map((t) => t.id)).toContain(handle.taskId);
      expect(await c.listTasks({ createdFrom: new Date(Date.now() + 3600_000) })).toEqual([]);
      await expect(c.cancelTask(handle.taskId)).rejects.toMatchObject({ status: 409 });
      await expect(c.cancelTask(randomUUID())).rejects.toMatchObject({ status: 404 });

      site.faults.merge({ taskDurationsMs: { '*': 2000 } });
      const running = await c.createTenant({ name: `slow-${randomUUID().slice(0, 6)}`, type: 'Simple' });
      const queued = await c.createTenant({ name: `slow-${randomUUID().slice(0, 6)}`, type: 'Simple' });
      const sameName = await c.createTenant({ name: 'serialised', type: 'Simple' });
      const queuedBehind = await c.createTenant({ name: 'serialised', type: 'Simple' });
      await new Promise((r) => setTimeout(r, 700));
      expect(await c.cancelTask(running.taskId)).toBe('stopping');
      expect(await c.cancelTask(queuedBehind.taskId)).toBe('canceled');
      await expect(c.waitForTask(running.taskId, FAST)).rejects.toMatchObject({ task: { state: 'Canceled' } });
      await expect(c.waitForTask(queuedBehind.taskId, FAST)).rejects.toBeInstanceOf(IsTaskFailedError);
      await c.cancelTask(queued.taskId);
      await c.cancelTask(sameName.taskId);
    });

    it('polls with a deadline, stops on abort, and resumes from a persisted task id with a new client', async () => {
      site.faults.merge({ taskDurationsMs: { '*': 1500 } });
      const first = client();
      const handle = await first.createTenant({ name: `resume-${randomUUID().slice(0, 6)}`, type: 'Simple' });
      await expect(first.waitForTask(handle.taskId, { ...FAST, deadlineMs: 200 })).rejects.toBeInstanceOf(
        IsTaskTimeoutError,
      );
      const abort = new AbortController();
      setTimeout(() => abort.abort(new Error('shutting down')), 100);
      await expect(first.waitForTask(handle.taskId, { ...FAST, signal: abort.signal })).rejects.toThrow(
        'shutting down',
      );
      const afterRestart = client();
      const progress: string[] = [];
      const done = await afterRestart.waitForTask(handle.taskId, {
        ...FAST,
        onProgress: (t) => progress.push(t.state),
      });
      expect(done.state).toBe('Completed');
      expect(progress).toContain('Completed');
      expect(site.counters.get('CreateTenant')).toBe(1);
    });
  });

  describe('documented errors', () => {
    it('400s: missing name, invalid type, missing vKSC credentials, bad preferredViisAddress', async () => {
      const c = client();
      await expect(c.createTenant({ name: '', type: 'Simple' })).rejects.toMatchObject({
        status: 400,
        code: 'VIRMT_MandatoryParameterIsNotSpecified',
      });
      await expect(c.createTenant({ name: 'x', type: 'Hybrid' as 'Simple' })).rejects.toMatchObject({
        status: 400,
        code: 'VIRMT_InvalidTenantType',
      });
      await expect(
        c.createTenant({
          name: 'x',
          type: 'Complete',
          preferredViisAddress: 'is.example.com',
          vKsc: { name: 'a', password: 'b' },
        }),
      ).rejects.toMatchObject({
        status: 400,
        code: 'VIRMT_InvalidViisAddressFormat',
      });
      // The client refuses a Complete tenant without credentials before sending; the server would answer 400 too.
      await expect(c.createTenant({ name: 'x', type: 'Complete' })).rejects.toBeInstanceOf(XmlSafetyError);
      const res = await raw('/tenants', {
        method: 'POST',
        body: '<tenant><name>x</name><type>Complete</type></tenant>',
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('VIRMT_VKscCredentialsNotSpecified');
    });

    it('401 without credentials, 403 with wrong ones (typed as auth errors); 405 for an unsupported method', async () => {
      expect((await fetch(`${url}/api/2.0/virtualization/tenants`)).status).toBe(401);
      await expect(client({ password: 'wrong-password' }).listTenants()).rejects.toBeInstanceOf(
        IntegrationServerAuthError,
      );
      expect((await raw('/tenants', { method: 'PUT' })).status).toBe(405);
    });

    it('task errors: KSC_ServiceNotConfigured, VIRMT_TenantGroupAlreadyExists, and injected failures', async () => {
      const c = client();
      site.kscConfigured = false;
      const h = await c.createTenant({
        name: 'no-ksc',
        type: 'Complete',
        vKsc: { name: 'no-ksc-admin', password: 'pw-123456' },
      });
      await expect(c.waitForTask(h.taskId, FAST)).rejects.toMatchObject({ code: 'KSC_ServiceNotConfigured' });
      site.kscConfigured = true;
      await completeTenant(c, 'Twin', 'twin-admin-1');
      await expect(completeTenant(c, 'Twin', 'twin-admin-2')).rejects.toMatchObject({
        code: 'VIRMT_TenantGroupAlreadyExists',
      });
      site.faults.merge({
        taskFailures: { CreateTenant: { code: 'KSC_SomethingNew', message: 'new failure', remaining: 1 } },
      });
      await expect(completeTenant(c)).rejects.toMatchObject({ code: 'KSC_SomethingNew' }); // unknown codes surface verbatim
    });
  });

  describe('simulator rules', () => {
    it('enforces the virtual-server cap and account-name uniqueness with full rollback', async () => {
      const capped = await startTestSimulator([
        { assumptions: { kscMaxVirtualServers: 2 }, faults: { taskDurationsMs: { '*': 10 } } },
      ]);
      try {
        const c = client({ baseUrl: capped.endpoints[0].integrationServerUrl });
        const s = capped.sites[0];
        await completeTenant(c, 'cap-1', 'shared-admin');
        await expect(completeTenant(c, 'cap-2', 'shared-admin')).rejects.toMatchObject({
          code: 'KSC_UserAlreadyExists',
        });
        await completeTenant(c, 'cap-2', 'cap-2-admin');
        await expect(completeTenant(c, 'cap-3', 'cap-3-admin')).rejects.toMatchObject({
          code: 'KSC_VirtualServerLimitReached',
        });
        expect(s.ksc.vservers.size).toBe(2);
        expect(s.is.tenants.size).toBe(2);
        // No orphan tenant folders either: exactly one group per tenant under the multitenancy folder.
        const folder = s.ksc.groupsOf(0).find((g) => g.name === 'Multitenancy KSV LA')!;
        expect(
          s.ksc
            .groupsOf(0)
            .filter((g) => g.parentId === folder.id)
            .map((g) => g.name)
            .sort(),
        ).toEqual(['cap-1', 'cap-2']);
      } finally {
        await capped.close();
      }
    });
  });

  describe('XML safety', () => {
    const hostile = [
      'a]]><vKsc><user><name>evil</name></user></vKsc><![CDATA[b',
      'x]]>y]]>z',
      '<b>&amp; "quotes" \'single\' & <',
      'Grüße, 東京, עברית, emoji 🛡️',
    ];

    it.each(hostile)('X1/X2/X4: userData %j round-trips exactly and never becomes markup', async (userData) => {
      const c = client();
      const name = `xml-${randomUUID().slice(0, 8)}`;
      const task = await c.waitForTask(
        (
          await c.createTenant({
            name,
            type: 'Complete',
            userData,
            vKsc: { name: `${name}-adm`, password: 'P@ss]]>word<&' },
          })
        ).taskId,
        FAST,
      );
      const tenant = await c.getTenant(task.result!.tenant!.id);
      expect(tenant.userData).toBe(userData);
      expect(tenant.vKsc?.userName).toBe(`${name}-adm`);
      const user = site.ksc.findUser(Number(tenant.vKsc!.id), `${name}-adm`);
      expect(user).toBeDefined();
    });

    it('X3: a name carrying markup stays text and the tenant type stays Complete', async () => {
      const c = client();
      const name = `</name><type>Simple</type><name>${randomUUID().slice(0, 4)}`;
      const { tenant } = await completeTenant(c, name, `x3-${randomUUID().slice(0, 6)}`);
      expect(tenant.name).toBe(name);
      expect(tenant.type).toBe('Complete');
      expect((await c.getTenant(tenant.id)).type).toBe('Complete');
    });

    it('X4/X5: control characters and lone surrogates are refused with a clear error; oversize text is refused before sending', async () => {
      const c = client();
      await expect(c.createTenant({ name: 'bad\u0000name', type: 'Simple' })).rejects.toThrow(/U\+0000/);
      await expect(c.createTenant({ name: 'ok', userData: 'bell\u0007', type: 'Simple' })).rejects.toThrow(/U\+0007/);
      await expect(c.createTenant({ name: 'ok', userData: 'half \uD800 pair', type: 'Simple' })).rejects.toThrow(
        /U\+D800/,
      );
      await expect(
        c.createTenant({ name: 'ok', userData: 'x'.repeat(10 * 1024 * 1024), type: 'Simple' }),
      ).rejects.toThrow(/limit/);
      expect(site.counters.get('CreateTenant')).toBe(0);
    });

    it('X6: a response with a DTD (XXE) is rejected without expanding anything', async () => {
      const evil = createServer((_req, res) => {
        res.setHeader('Content-Type', 'application/xml');
        res.end(
          '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY e SYSTEM "file:///etc/passwd">]><tenant id="1"><name>&e;</name></tenant>',
        );
      });
      await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
      try {
        const c = client({ baseUrl: `http://127.0.0.1:${(evil.address() as AddressInfo).port}` });
        await expect(c.getTenant('1')).rejects.toThrow(/DTD/);
      } finally {
        await new Promise((r) => (evil as Server).close(r));
      }
    });
  });

  describe('resilience', () => {
    it('retries transient 5xx on reads and then succeeds', async () => {
      const c = client();
      site.faults.merge({ failNext: { remaining: 2, status: 503, methods: ['ListTenants'] } });
      await expect(c.listTenants()).resolves.toBeDefined();
      expect(site.counters.get('ListTenants')).toBe(3);
    });

    it('never retries a 4xx, and does not blindly repeat a state-changing call after a 500', async () => {
      const c = client();
      await expect(c.getTenant(randomUUID())).rejects.toBeInstanceOf(IntegrationServerError);
      expect(site.counters.get('GetTenant')).toBe(1);
      site.faults.merge({ failNext: { remaining: 1, status: 500, methods: ['CreateTenant'] } });
      await expect(c.createTenant({ name: 'once', type: 'Simple' })).rejects.toMatchObject({ status: 500 });
      expect(site.counters.get('CreateTenant')).toBe(1);
    });

    it('respects 429 Retry-After', async () => {
      const c = client();
      site.faults.merge({ burst429: { remaining: 2, retryAfterSeconds: 1 } });
      const started = Date.now();
      await c.listTenants();
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      expect(site.counters.get('ListTenants')).toBe(3);
    });

    it('times out a hanging request', async () => {
      const c = client({ timeoutMs: 300, maxAttempts: 1 });
      site.faults.merge({ hang: { remaining: 1, methods: ['ListTenants'] } });
      await expect(c.listTenants()).rejects.toMatchObject({ kind: 'timeout' });
    });

    it('survives a reset connection on a read (retried)', async () => {
      const c = client();
      site.faults.merge({ resetNext: 1 });
      await expect(c.listTenants()).resolves.toBeDefined();
    });

    it('opens the circuit after repeated failures, fails fast, then recovers', async () => {
      const c = client({ maxAttempts: 1, breakerThreshold: 3, breakerHalfOpenAfterMs: 400 });
      site.faults.merge({ failNext: { remaining: 3, status: 503 } });
      for (let i = 0; i < 3; i++) await expect(c.listTenants()).rejects.toMatchObject({ status: 503 });
      const calls = site.counters.get('ListTenants');
      const fastFail = await c.listTenants().catch((e: unknown) => e);
      expect(fastFail).toBeInstanceOf(KasperskyTransportError);
      expect((fastFail as KasperskyTransportError).kind).toBe('circuit_open');
      expect(site.counters.get('ListTenants')).toBe(calls);
      await new Promise((r) => setTimeout(r, 450));
      await expect(c.listTenants()).resolves.toBeDefined();
    });
  });

  describe('TLS', () => {
    let secure: RunningSimulator;
    beforeAll(async () => {
      secure = await startTestSimulator([{}], { tls: 'self-signed' });
    });
    afterAll(() => secure.close());

    it('trusts the server by CA bundle or by certificate pin; refuses an unknown certificate or a wrong pin', async () => {
      const base = {
        baseUrl: secure.endpoints[0].integrationServerUrl.replace('127.0.0.1', 'localhost'),
        maxAttempts: 1,
      };
      await expect(client({ ...base, tls: { caPem: secure.tls!.certPem } }).listTenants()).resolves.toEqual([]);
      await expect(client({ ...base, tls: { pinSha256: secure.tls!.fingerprint256 } }).listTenants()).resolves.toEqual(
        [],
      );
      await expect(client({ ...base }).listTenants()).rejects.toMatchObject({ kind: 'tls' });
      await expect(
        client({ ...base, tls: { pinSha256: 'AA:'.repeat(31) + 'AA' } }).listTenants(),
      ).rejects.toMatchObject({ kind: 'tls' });
      // Another server's certificate as the bundle: refused (the bundle, not the system's CAs, decides).
      const other = await selfSignedTls();
      await expect(client({ ...base, tls: { caPem: other.certPem } }).listTenants()).rejects.toMatchObject({
        kind: 'tls',
      });
    });
  });
});
