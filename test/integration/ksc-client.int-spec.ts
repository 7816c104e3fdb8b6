import { randomUUID } from 'node:crypto';
import { Client } from 'undici';
import { KasperskyTransportError } from '@tpo/kaspersky-http';
import {
  DEFAULT_ASSUMPTIONS,
  KSC_ERRORS,
  NETWORK_AGENT_PRODUCT,
  RunningSimulator,
  SEED_LIGHT_AGENT,
  SEED_NETWORK_AGENT_PACKAGES,
  SEED_PUSH_INSTALL_ACCOUNT,
  Site,
} from '@tpo/kaspersky-simulator';
import {
  AsyncActions,
  HostGroupApi,
  KscAsyncActionError,
  KscAuthError,
  KscClient,
  KscClientOptions,
  KscHttpError,
  KscMethodError,
  KscSession,
  PackagesApi,
  HOST_STATE,
  REMOTE_INSTALLATION_TASK,
  SecurityApi,
  TasksApi,
  VServersApi,
} from '@tpo/ksc-client';
import { SIM_KSC_ACCOUNT, startTestSimulator } from '../support/simulator';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const basic = (user: string, pass: string) => `KSCBasic user="${b64(user)}", pass="${b64(pass)}", internal="1"`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uniq = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const PROVIDER = { user: SIM_KSC_ACCOUNT.name, password: SIM_KSC_ACCOUNT.password };

const LIGHT_AGENT_PRODUCT = SEED_LIGHT_AGENT.windows.product;

describe('KSC Open API client against the simulator', () => {
  let sim: RunningSimulator;
  let site: Site;
  let url: string;
  const clients: KscClient[] = [];
  const client = (o: Partial<KscClientOptions> = {}) => {
    const c = new KscClient({
      baseUrl: url,
      credentials: PROVIDER,
      timeoutMs: 5000,
      retryInitialDelayMs: 10,
      retryMaxDelayMs: 50,
      ...o,
    });
    clients.push(c);
    return c;
  };
  let main: KscSession;
  const actions = new AsyncActions();

  /** A new vAS created through the client; returns its id and the display name to log in with. */
  const newVServer = async (name = uniq('tenant')) => {
    const vs = await new VServersApi(main).addVServer(name, 0);
    return { id: vs.KLVSRV_ID, dn: vs.KLVSRV_DN, info: vs };
  };
  /** A device managed by the main server (a VM cloned from a template with a Network Agent). */
  let nextIp = 1;
  const seedHost = (
    vsId: number,
    groupId: number,
    dn: string,
    withAgent = true,
    osFamily: 'windows' | 'linux' = 'windows',
  ) =>
    site.ksc.addHost(vsId, {
      groupId,
      dn,
      fqdn: `${dn}.tenant.local`,
      dnsName: dn,
      dnsDomain: 'tenant.local',
      ip: `10.9.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`,
      osFamily,
      biosId: randomUUID(),
      nagentVersion: withAgent ? '15.1.0.20748' : undefined,
      products: withAgent ? [NETWORK_AGENT_PRODUCT] : [],
    });

  beforeAll(async () => {
    sim = await startTestSimulator([{}]);
    site = sim.sites[0];
    url = sim.endpoints[0].kscUrl;
    main = await client().startSession();
  });

  afterAll(async () => {
    for (const c of clients) await c.close();
    await sim.close();
  });

  beforeEach(() => {
    site.faults.replace({ taskDurationsMs: { '*': 50 } });
    site.assumptions = { ...DEFAULT_ASSUMPTIONS, kscAsyncCheckDelayMs: 500 };
    site.counters.reset();
  });

  describe('sessions', () => {
    it('logs in to the main server, pings, and after ending the session every call is refused with 403', async () => {
      const s = await client().startSession();
      await s.ping();
      expect((await new HostGroupApi(s).getStaticInfo(['KLADMSRV_VSID'])).KLADMSRV_VSID).toBe(0);
      await s.endSession();
      await expect(s.call('HostGroup.GroupIdGroups')).rejects.toMatchObject({
        name: 'KscAuthError',
        status: 403,
        reason: 'session_ended',
      });
      expect(site.counters.get('Session.StartSession')).toBe(1); // an ended session is not logged in again
    });

    it('refuses a wrong password once and never tries it again', async () => {
      const c = client({ credentials: { user: SIM_KSC_ACCOUNT.name, password: 'wrong' } });
      const err = await c.startSession().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KscAuthError);
      expect(err).toMatchObject({ status: 401, reason: 'bad_credentials' });
      expect(site.counters.get('Session.StartSession')).toBe(1);
    });

    it('logs in again by itself when an idle session has expired, but only for reads', async () => {
      site.assumptions = { ...site.assumptions, kscSessionIdleTimeoutSeconds: 1 };
      const s = await client().startSession();
      const hg = new HostGroupApi(s);
      await sleep(1200);
      expect(await hg.groupIdGroups()).toBe(0);
      expect(site.counters.get('Session.StartSession')).toBe(2);
      await sleep(1200);
      // A state-changing call is not repeated behind the caller's back.
      await expect(hg.addGroup(uniq('g'), 0)).rejects.toMatchObject({ name: 'KscAuthError', status: 403 });
      expect(site.counters.get('Session.StartSession')).toBe(2);
    });

    it('answers a call without any session with 401', async () => {
      await expect(client().call('HostGroup.GroupIdGroups')).rejects.toMatchObject({
        name: 'KscAuthError',
        status: 401,
        reason: 'not_authenticated',
      });
    });

    it('selects the virtual server by its display name sent in X-KSC-VServer', async () => {
      const vs = await newVServer(uniq('tenant-sel'));
      const s = await client().startSession({ vserver: vs.dn });
      const hg = new HostGroupApi(s);
      expect(await hg.groupIdGroups()).toBe(vs.info.KLVSRV_GROUPS);
      expect(await hg.groupIdUnassigned()).toBe(vs.info.KLVSRV_UNASSIGNED);
      expect(await hg.groupIdSuper()).toBe(vs.info.KLVSRV_SUPER);
      expect(await hg.getStaticInfo(['KLADMSRV_VSID', 'KLADMSRV_IS_VIRTUAL'])).toEqual({
        KLADMSRV_VSID: vs.id,
        KLADMSRV_IS_VIRTUAL: true,
      });
      // A virtual server that does not exist is a failed login.
      await expect(client().startSession({ vserver: 'no-such-tenant' })).rejects.toMatchObject({
        name: 'KscAuthError',
        status: 401,
      });
    });

    it('treats an undecodable X-KSC-VServer value as the main server, like a client sending "x"', async () => {
      const start = await fetch(`${url}/api/v1.0/Session.StartSession`, {
        method: 'POST',
        headers: { Authorization: basic(SIM_KSC_ACCOUNT.name, SIM_KSC_ACCOUNT.password), 'X-KSC-VServer': 'x' },
      });
      const { PxgRetVal: token } = (await start.json()) as { PxgRetVal: string };
      const res = await fetch(`${url}/api/v1.0/HostGroup.GroupIdGroups`, {
        method: 'POST',
        headers: { 'X-KSC-Session': token, 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(await res.json()).toEqual({ PxgRetVal: 0 });
    });

    it('lets the provider account into any virtual server but a tenant account only into its own', async () => {
      const a = await newVServer(uniq('tenant-a'));
      const b = await newVServer(uniq('tenant-b'));
      const user = { user: uniq('admin'), password: 'S3cure!Passw0rd' };
      const inA = await client().startSession({ vserver: a.dn });
      await new SecurityApi(inA).addUser({ name: user.user, password: user.password });
      const tenant = await client({ credentials: user }).startSession({ vserver: a.dn });
      expect((await new HostGroupApi(tenant).getStaticInfo(['KLADMSRV_VSID'])).KLADMSRV_VSID).toBe(a.id);
      await expect(client({ credentials: user }).startSession({ vserver: b.dn })).rejects.toMatchObject({
        reason: 'bad_credentials',
      });
      await expect(client({ credentials: user }).startSession()).rejects.toMatchObject({ reason: 'bad_credentials' });
    });

    it('supports the connection-bound /api/v1.0/login style', async () => {
      const conn = new Client(url, { pipelining: 1 });
      try {
        const login = await conn.request({
          method: 'POST',
          path: '/api/v1.0/login',
          headers: {
            authorization: basic(SIM_KSC_ACCOUNT.name, SIM_KSC_ACCOUNT.password),
            'content-type': 'application/json',
          },
          body: '{}',
        });
        await login.body.dump();
        expect(login.statusCode).toBe(200);
        const call = await conn.request({
          method: 'POST',
          path: '/api/v1.0/HostGroup.GroupIdUnassigned',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        expect(await call.body.json()).toEqual({ PxgRetVal: 1 });
      } finally {
        await conn.close();
      }
    });
  });

  describe('virtual servers', () => {
    it('makes a taken display name unique and returns the name to use', async () => {
      const name = uniq('tenant-dup');
      const first = await newVServer(name);
      const second = await newVServer(name);
      expect(first.dn).toBe(name);
      expect(second.dn).toBe(`${name} (1)`);
      const api = new VServersApi(main);
      expect((await api.getVServers()).map((v) => v.KLVSRV_DN)).toEqual(expect.arrayContaining([name, `${name} (1)`]));
      expect(await api.getVServerInfo(second.id, ['KLVSRV_DN', 'KLVSRV_ENABLED'])).toEqual({
        KLVSRV_DN: `${name} (1)`,
        KLVSRV_ENABLED: true,
      });
      expect(second.info.KLVSRV_CREATED).toBeInstanceOf(Date);
      // The unique name is what selects the vAS.
      const s = await client().startSession({ vserver: second.dn });
      expect(await new HostGroupApi(s).groupIdGroups()).toBe(second.info.KLVSRV_GROUPS);
    });

    it('finds a virtual server by name with one read of the id it had, and by the list when that id no longer has the name', async () => {
      const api = new VServersApi(main);
      const a = await newVServer(uniq('tenant-find'));
      const b = await newVServer(uniq('tenant-find'));
      const calls = () => ({
        info: site.counters.get('VServers.GetVServerInfo'),
        list: site.counters.get('VServers.GetVServers'),
      });

      let before = calls();
      expect(await api.findByDisplayName(a.dn, a.id)).toMatchObject({ KLVSRV_ID: a.id, KLVSRV_DN: a.dn });
      expect(calls()).toEqual({ info: before.info + 1, list: before.list });

      // The id now belongs to a server of another name: the list decides, and finds the right one.
      before = calls();
      expect(await api.findByDisplayName(a.dn, b.id)).toMatchObject({ KLVSRV_ID: a.id, KLVSRV_DN: a.dn });
      expect(calls()).toEqual({ info: before.info + 1, list: before.list + 1 });

      // The id is gone (the simulator answers with a method error, as for any unknown id).
      await api.delVServerAndWait(b.id);
      before = calls();
      expect(await api.findByDisplayName(a.dn, b.id)).toMatchObject({ KLVSRV_ID: a.id });
      expect(await api.findByDisplayName(b.dn, b.id)).toBeUndefined();
      expect(calls().list).toBe(before.list + 2);

      // Without an id, the list as before.
      before = calls();
      expect(await api.findByDisplayName(a.dn)).toMatchObject({ KLVSRV_ID: a.id });
      expect(calls()).toEqual({ info: before.info, list: before.list + 1 });
    });

    it('updates, recalls the certificate of and deletes a virtual server', async () => {
      const api = new VServersApi(main);
      const vs = await newVServer(uniq('tenant-upd'));
      const renamed = uniq('tenant-renamed');
      await api.updateVServerInfo(vs.id, { KLVSRV_DN: renamed, KLVSRV_ENABLED: false, KLVSRV_VS_DESCR: 'paused' });
      expect(await api.findByDisplayName(renamed)).toMatchObject({
        KLVSRV_ID: vs.id,
        KLVSRV_ENABLED: false,
        KLVSRV_VS_DESCR: 'paused',
      });
      await api.recallCertAndCloseConnections(vs.id);
      expect(
        (site.kscProtocol!.snapshot() as { certRecalls: { vsId: number }[] }).certRecalls.map((r) => r.vsId),
      ).toContain(vs.id);
      const inside = await client().startSession({ vserver: renamed });
      await api.delVServerAndWait(vs.id);
      expect(site.ksc.vservers.has(vs.id)).toBe(false);
      // Sessions of a deleted vAS are dead; a new login into it fails.
      await expect(inside.call('Session.Ping', {}, { idempotent: false })).rejects.toMatchObject({ status: 403 });
      await expect(client().startSession({ vserver: renamed })).rejects.toBeInstanceOf(KscAuthError);
    });

    it('refuses a virtual server beyond the configured cap with a method error', async () => {
      site.assumptions = { ...site.assumptions, kscMaxVirtualServers: site.ksc.vservers.size + 1 };
      await newVServer();
      const err = await newVServer().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KscMethodError);
      expect(err).toMatchObject({ code: KSC_ERRORS.KLSRV_VS_LIMIT.code, module: KSC_ERRORS.KLSRV_VS_LIMIT.module });
    });

    it('refuses VServers calls from inside a virtual server', async () => {
      const vs = await newVServer();
      const s = await client().startSession({ vserver: vs.dn });
      await expect(new VServersApi(s).getVServers()).rejects.toMatchObject({ code: KSC_ERRORS.STDE_NOACCESS.code });
    });
  });

  describe('accounts and security groups', () => {
    it('keeps account names unique across the main server and all virtual servers', async () => {
      const a = await newVServer();
      const b = await newVServer();
      const name = uniq('acme-admin');
      await new SecurityApi(await client().startSession({ vserver: a.dn })).addUser({
        name,
        password: 'S3cure!Passw0rd',
      });
      const inB = new SecurityApi(await client().startSession({ vserver: b.dn }));
      await expect(inB.addUser({ name: name.toUpperCase(), password: 'x' })).rejects.toMatchObject({
        name: 'KscMethodError',
        code: KSC_ERRORS.KLSPL_USER_EXISTS.code,
      });
      await expect(inB.addUser({ name: SIM_KSC_ACCOUNT.name, password: 'x' })).rejects.toBeInstanceOf(KscMethodError);
      site.assumptions = { ...site.assumptions, kscUniqueAccountNames: false };
      expect(await inB.addUser({ name, password: 'x' })).toEqual(expect.any(Number));
    });

    it('creates a tenant admin with an encrypted password, puts it in a security group, closes its sessions and deletes it', async () => {
      const vs = await newVServer();
      const sec = new SecurityApi(await client().startSession({ vserver: vs.dn }));
      const blob = await sec.protectPassword('S3cure!Passw0rd');
      expect(blob.toString('utf8')).not.toContain('S3cure');
      const name = uniq('admin');
      const userId = await sec.addUser({ name, password: 'S3cure!Passw0rd', fullName: 'ACME administrator' });
      expect(await sec.findUserByName(name)).toMatchObject({
        KLSPL_USER_ID: userId,
        KLSPL_USER_FULL_NAME: 'ACME administrator',
        KLSPL_USER_ENABLED: true,
      });
      const groupId = await sec.addSecurityGroup('vAS administrators', 'full rights');
      await sec.addUserIntoSecurityGroup(userId, groupId);
      expect(site.ksc.users.get(userId)!.securityGroups).toEqual([groupId]);
      const tenant = await client({ credentials: { user: name, password: 'S3cure!Passw0rd' } }).startSession({
        vserver: vs.dn,
      });
      await tenant.ping();
      await sec.closeUserConnections(userId);
      await expect(tenant.call('Session.Ping', {}, { idempotent: false })).rejects.toMatchObject({ status: 403 });
      await sec.deleteUser(userId);
      expect(await sec.getUsers()).toEqual([]);
      await expect(
        client({ credentials: { user: name, password: 'S3cure!Passw0rd' } }).startSession({ vserver: vs.dn }),
      ).rejects.toMatchObject({ reason: 'bad_credentials' });
    });
  });

  describe('groups, devices and paging', () => {
    it('pages through found devices chunk by chunk and releases the result set', async () => {
      const group = await new HostGroupApi(main).addGroup(uniq('paging'), 0);
      const prefix = uniq('page');
      for (let i = 1; i <= 7; i++) seedHost(0, group, `${prefix}-vm${i}`);
      const hg = new HostGroupApi(main);
      const found = [];
      for await (const h of hg.iterateHosts(
        `(KLHST_WKS_DN="${prefix}-*")`,
        ['KLHST_WKS_HOSTNAME', 'KLHST_WKS_DN', 'KLHST_WKS_NAG_VERSION'],
        3,
        { order: [{ name: 'KLHST_WKS_DN', asc: false }] },
      )) {
        found.push(h);
      }
      expect(found.map((h) => h.KLHST_WKS_DN)).toEqual([7, 6, 5, 4, 3, 2, 1].map((i) => `${prefix}-vm${i}`));
      expect(found[0]).toEqual({
        KLHST_WKS_HOSTNAME: expect.any(String),
        KLHST_WKS_DN: `${prefix}-vm7`,
        KLHST_WKS_NAG_VERSION: '15.1.0.20748',
      });
      expect(site.counters.get('ChunkAccessor.GetItemsChunk')).toBe(3);
      expect(site.counters.get('ChunkAccessor.Release')).toBe(1);

      const { accessor, count } = await hg.findHosts(`(&(KLHST_WKS_GROUPID=${group})(KLHST_WKS_DN="${prefix}-*"))`, [
        'KLHST_WKS_DN',
      ]);
      expect(count).toBe(7);
      expect(await hg.chunks.getItemsCount(accessor)).toBe(7);
      expect(await hg.chunks.getItemsChunk(accessor, 5, 10)).toHaveLength(2);
      await hg.chunks.release(accessor);
      await expect(hg.chunks.getItemsCount(accessor)).rejects.toMatchObject({
        code: KSC_ERRORS.STDE_NOTFOUND.code,
        module: 'KLSTD',
      });
      expect((site.kscProtocol!.snapshot() as { resultSets: unknown[] }).resultSets).toEqual([]);
    });

    it('forgets a result set when its lifetime runs out', async () => {
      const hg = new HostGroupApi(main);
      const { accessor } = await hg.findHosts('', ['KLHST_WKS_DN'], { lifetimeSeconds: 1 });
      await sleep(1100);
      await expect(hg.chunks.getItemsChunk(accessor, 0, 10)).rejects.toMatchObject({
        code: KSC_ERRORS.STDE_NOTFOUND.code,
      });
    });

    it('creates, finds, moves and removes groups and devices inside a virtual server', async () => {
      const vs = await newVServer();
      const hg = new HostGroupApi(await client().startSession({ vserver: vs.dn }));
      const root = await hg.groupIdGroups();
      const servers = await hg.addGroup('Servers', root);
      expect(await hg.getGroupId(root, 'Servers')).toBe(servers);
      expect(await hg.getGroupId(root, 'Nope')).toBeUndefined();
      const hostName = await hg.addHost({
        displayName: 'acme-db01',
        groupId: servers,
        dnsDomain: 'acme.local',
        ip: '10.0.0.5',
      });
      expect(
        await hg.getHostInfo(hostName, ['KLHST_WKS_DN', 'KLHST_WKS_FQDN', 'KLHST_WKS_GROUPID', 'KLHST_WKS_IP_LONG']),
      ).toEqual({
        KLHST_WKS_DN: 'acme-db01',
        KLHST_WKS_FQDN: 'acme-db01.acme.local',
        KLHST_WKS_GROUPID: servers,
        KLHST_WKS_IP_LONG: 167772165,
      });
      const groups = [];
      for await (const g of hg.iterateGroups('(name="Serv*")', ['id', 'name', 'KLGRP_CHLDHST_CNT'])) groups.push(g);
      expect(groups).toEqual([{ id: servers, name: 'Servers', KLGRP_CHLDHST_CNT: 1 }]);
      await expect(hg.removeGroupAndWait(servers)).rejects.toBeInstanceOf(KscAsyncActionError);
      await hg.moveHostsToGroup(root, [hostName]);
      await hg.removeGroupAndWait(servers);
      expect(await hg.getGroupId(root, 'Servers')).toBeUndefined();
      await hg.removeHost(hostName);
      await expect(hg.getHostInfo(hostName)).rejects.toMatchObject({ code: KSC_ERRORS.STDE_NOTFOUND.code });
      // A main-server search restricted to the current server does not see vAS devices.
      expect((await new HostGroupApi(main).findGroups('(name="Servers")', ['id'])).count).toBe(0);
    });
  });

  describe('asynchronous actions', () => {
    it('answers too-early polls, polls from another session and polls after the end with the documented errors', async () => {
      site.faults.merge({ taskDurationsMs: { '*': 50, 'HostGroup.RemoveGroup': 1200 } });
      const hg = new HostGroupApi(main);
      const guid = await hg.removeGroup(await hg.addGroup(uniq('async'), 0));
      const first = await actions.checkActionState(main, guid);
      expect(first).toMatchObject({ finalized: false, nextCheckDelayMs: 500 });
      await expect(actions.checkActionState(main, guid)).rejects.toMatchObject({ code: KSC_ERRORS.STDE_UNAVAIL.code });
      const other = await client().startSession();
      await expect(actions.checkActionState(other, guid)).rejects.toMatchObject({
        code: KSC_ERRORS.STDE_NOACCESS.code,
      });
      await sleep(500);
      await expect(actions.waitForAction(main, guid, { deadline: Date.now() + 10_000 })).resolves.toMatchObject({
        stateCode: 1,
      });
      await expect(actions.checkActionState(main, guid)).rejects.toMatchObject({ code: KSC_ERRORS.STDE_NOTFOUND.code });
    });

    it('reports a failed action with its state data', async () => {
      site.faults.merge({
        taskFailures: {
          'VServers.DelVServer': { code: 'STDE_UNAVAIL', message: 'Virtual server is busy', remaining: 1 },
        },
      });
      const vs = await newVServer();
      const err = (await new VServersApi(main)
        .delVServerAndWait(vs.id)
        .catch((e: unknown) => e)) as KscAsyncActionError;
      expect(err).toBeInstanceOf(KscAsyncActionError);
      expect(err.stateCode).toBe(0);
      expect(err.stateData.GNRL_EA_DESCRIPTION).toBe('Virtual server is busy');
      expect(err.errorCode).toBe(KSC_ERRORS.STDE_UNAVAIL.code);
      expect(site.ksc.vservers.has(vs.id)).toBe(true);
    });

    it('gives up waiting at the deadline', async () => {
      site.faults.merge({ taskDurationsMs: { '*': 50, 'HostGroup.RemoveGroup': 5000 } });
      const hg = new HostGroupApi(main);
      const guid = await hg.removeGroup(await hg.addGroup(uniq('slow'), 0));
      await expect(actions.waitForAction(main, guid, { deadline: Date.now() + 300 })).rejects.toMatchObject({
        name: 'KscTimeoutError',
      });
    });
  });

  describe('packages', () => {
    it('retranslates a main-server package so that it appears inside the virtual server', async () => {
      const vs = await newVServer();
      const mainPkgs = new PackagesApi(main);
      const list2 = await mainPkgs.getPackages2();
      const agent = list2.find(
        (p) => typeof p.KLPKG_NPI_NAME === 'string' && p.KLPKG_NPI_NAME.includes('Network Agent'),
      )!;
      const agentId = PackagesApi.packageId(agent)!;
      expect((await mainPkgs.getPackages()).map(PackagesApi.packageId)).toContain(agentId);
      expect(await mainPkgs.getPackageInfo2(agentId)).toMatchObject({
        KLPKG_ID: agentId,
        KLHST_WKS_PRODUCT_NAME: NETWORK_AGENT_PRODUCT,
      });
      const inside = new PackagesApi(await client().startSession({ vserver: vs.dn }));
      expect(await inside.getPackages2()).toEqual([]);
      await mainPkgs.retranslateToVServerAndWait(agentId, vs.id, {
        createStandaloneNetworkAgent: true,
        packageType: 2,
      });
      const copies = await inside.getPackages2();
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatchObject({
        KLPKG_NPI_NAME: agent.KLPKG_NPI_NAME,
        KLPKG_NPI_PRODUCT_NAME: NETWORK_AGENT_PRODUCT,
      });
      expect(PackagesApi.packageId(copies[0])).not.toBe(agentId);
      // An unknown package fails the action, not the call.
      await expect(mainPkgs.retranslateToVServerAndWait(99999, vs.id)).rejects.toBeInstanceOf(KscAsyncActionError);
    });
  });

  describe('tasks', () => {
    it('moves seeded devices into the virtual server with a reconnection task; a failing device ends in state 16 with an error event', async () => {
      const vs = await newVServer();
      const hg = new HostGroupApi(main);
      const staging = await hg.addGroup(uniq('staging'), 0);
      const prefix = uniq('recon');
      const hosts = [1, 2, 3].map((i) => seedHost(0, staging, `${prefix}-vm${i}`));
      site.faults.merge({ failingHosts: [hosts[2].biosId!] });
      const tasks = new TasksApi(main);
      const taskId = await tasks.addReconnectionTask(vs.dn, { groupId: staging }, { displayName: 'Move ACME VMs' });
      expect(await tasks.getTask(taskId)).toMatchObject({
        DisplayName: 'Move ACME VMs',
        TASK_NAME: 'KLNAG_TASK_RECONNECTION',
        TASKID_PRODUCT_NAME: '1103',
      });
      const data = await tasks.getTaskData(taskId);
      expect(data.TASK_ADDITIONAL_PARAMS).toMatchObject({
        KLNAG_VS_NAME: vs.dn,
        KLNAG_TASK_RECONNECTION_TIMEOUT: 60000,
      });
      await tasks.runTask(taskId);
      const stats = await tasks.waitForTask(taskId, { expectedDevices: 3, intervalMs: 50, timeoutMs: 5000 });
      expect(stats).toMatchObject({ pending: 0, running: 0, completed: 2, failed: 1, completedPercent: 100 });

      const inside = new HostGroupApi(await client().startSession({ vserver: vs.dn }));
      const moved = [];
      for await (const h of inside.iterateHosts(`(KLHST_WKS_DN="${prefix}-*")`, ['KLHST_WKS_DN', 'KLHST_WKS_GROUPID']))
        moved.push(h);
      expect(moved.map((h) => h.KLHST_WKS_DN).sort()).toEqual([`${prefix}-vm1`, `${prefix}-vm2`]);
      expect(moved.every((h) => h.KLHST_WKS_GROUPID === vs.info.KLVSRV_UNASSIGNED)).toBe(true);
      expect(site.ksc.hosts.get(hosts[2].hostName)?.vsId).toBe(0);

      const failedEvents = await tasks.historyList(taskId, { hostName: hosts[2].hostName });
      expect(failedEvents.map((e) => e.task_new_state)).toEqual([1, 3]);
      expect(failedEvents[1].descr).toMatch(/failure/i);
      const all = [];
      for await (const e of tasks.history(taskId, { pageSize: 2 })) all.push(e);
      expect(all).toHaveLength(6);
      expect(site.counters.get('EventProcessing.ReleaseIterator')).toBe(2);
      await tasks.deleteTask(taskId);
      await expect(tasks.getTask(taskId)).rejects.toMatchObject({ code: KSC_ERRORS.STDE_NOTFOUND.code });
    });

    it('a device-list reconnection task moves only the devices added to it', async () => {
      const vs = await newVServer();
      const staging = await new HostGroupApi(main).addGroup(uniq('list'), 0);
      const [h1, h2] = [seedHost(0, staging, uniq('list-vm')), seedHost(0, staging, uniq('list-vm'))];
      const tasks = new TasksApi(main);
      const taskId = await tasks.addReconnectionTask(vs.dn, { hostNames: [h1.hostName] });
      await tasks.runTask(taskId);
      await tasks.waitForTask(taskId, { expectedDevices: 1, intervalMs: 50, timeoutMs: 5000 });
      expect(site.ksc.hostsOf(vs.id).map((h) => h.dn)).toEqual([h1.dn]);
      expect(site.ksc.hosts.get(h2.hostName)?.vsId).toBe(0);
    });

    it('a device without a Network Agent never picks up the reconnection task', async () => {
      const vs = await newVServer();
      const staging = await new HostGroupApi(main).addGroup(uniq('offline'), 0);
      seedHost(0, staging, uniq('bare-vm'), false);
      const tasks = new TasksApi(main);
      const taskId = await tasks.addReconnectionTask(vs.dn, { groupId: staging });
      await tasks.runTask(taskId);
      await sleep(200);
      expect(await tasks.statistics(taskId)).toMatchObject({ pending: 1, running: 0, completed: 0 });
      await tasks.cancelTask(taskId);
      expect(await tasks.statistics(taskId)).toMatchObject({ pending: 0, failed: 1 });
    });

    it('installs retranslated packages on the devices of a virtual server with a remote install task', async () => {
      const vs = await newVServer();
      const mainPkgs = new PackagesApi(main);
      const la = (await mainPkgs.getPackages2()).find((p) => p.KLPKG_NPI_PRODUCT_NAME === LIGHT_AGENT_PRODUCT)!;
      expect(la.KLPKG_NPI_NAME).toBe(SEED_LIGHT_AGENT.windows.packageName);
      await mainPkgs.retranslateToVServerAndWait(PackagesApi.packageId(la)!, vs.id);
      const session = await client().startSession({ vserver: vs.dn });
      const [laInVs] = await new PackagesApi(session).getPackages2();
      const ok = seedHost(vs.id, vs.info.KLVSRV_UNASSIGNED!, uniq('la-ok'));
      const bad = seedHost(vs.id, vs.info.KLVSRV_UNASSIGNED!, uniq('la-bad'));
      site.faults.merge({ failingHosts: [bad.dn] });
      const tasks = new TasksApi(session);
      const taskId = await tasks.addRemoteInstallTask({
        packageIds: [PackagesApi.packageId(laInVs)!],
        target: { groupId: vs.info.KLVSRV_UNASSIGNED! },
        displayName: 'Install Light Agent',
      });
      expect(await tasks.getTask(taskId)).toMatchObject({
        TASK_NAME: 'Remote Installation',
        TASKID_PRODUCT_NAME: '1093',
        TASKID_VERSION: '1.0.0.0',
      });
      await tasks.updateTask(taskId, { TASK_INFO_PARAMS: { DisplayName: 'Install Light Agent (ACME)' } });
      expect((await tasks.getTask(taskId)).DisplayName).toBe('Install Light Agent (ACME)');
      await tasks.runTask(taskId);
      expect(await tasks.waitForTask(taskId, { expectedDevices: 2, intervalMs: 50, timeoutMs: 5000 })).toMatchObject({
        completed: 1,
        failed: 1,
      });
      const hg = new HostGroupApi(session);
      expect(Object.keys(await hg.getHostProducts(ok.hostName))).toEqual(
        expect.arrayContaining([NETWORK_AGENT_PRODUCT, LIGHT_AGENT_PRODUCT]),
      );
      expect(Object.keys(await hg.getHostProducts(bad.hostName))).not.toContain(LIGHT_AGENT_PRODUCT);

      // The same task cloned from its captured settings, as done with a console-made template.
      const template = { baseTaskData: await tasks.getTaskData(taskId) };
      const clone = await tasks.addRemoteInstallTask(
        { packageIds: [PackagesApi.packageId(laInVs)!], target: { hostNames: [bad.hostName] }, displayName: 'Retry' },
        template,
      );
      expect(clone).not.toBe(taskId);
      site.faults.merge({ failingHosts: [] });
      await tasks.runTask(clone);
      expect(await tasks.waitForTask(clone, { expectedDevices: 1, intervalMs: 50, timeoutMs: 5000 })).toMatchObject({
        completed: 1,
      });
      expect(site.ksc.hosts.get(bad.hostName)!.products).toContain(LIGHT_AGENT_PRODUCT);
    });

    it('a remote install of a package the virtual server does not have fails on every device', async () => {
      const vs = await newVServer();
      const session = await client().startSession({ vserver: vs.dn });
      seedHost(vs.id, vs.info.KLVSRV_UNASSIGNED!, uniq('nopkg'));
      const tasks = new TasksApi(session);
      const taskId = await tasks.addRemoteInstallTask({
        packageIds: [10],
        target: { groupId: vs.info.KLVSRV_UNASSIGNED! },
        displayName: 'No package',
      });
      await tasks.runTask(taskId);
      expect(await tasks.waitForTask(taskId, { intervalMs: 50, timeoutMs: 5000 })).toMatchObject({ failed: 1 });
      expect(await tasks.hostStatusList(taskId)).toEqual([
        expect.objectContaining({
          state_code: HOST_STATE.FAILED,
          state_descr: expect.stringMatching(/package is absent/),
        }),
      ]);
    });

    describe('Remote Installation of the Network Agent on machines no server manages yet', () => {
      const naPackage = async (osFamily: 'windows' | 'linux') =>
        PackagesApi.packageId(
          (await new PackagesApi(main).getPackages2()).find(
            (p) => p.KLPKG_NPI_NAME === SEED_NETWORK_AGENT_PACKAGES[osFamily].packageName,
          )!,
        )!;
      /** A machine on the network, recorded on the main server by its address (HostGroup.AddHost). */
      const machine = async (osFamily: 'windows' | 'linux') => {
        const name = uniq(`vm-${osFamily}`);
        const ip = `10.77.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;
        const biosId = randomUUID();
        site.ksc.addNetworkMachine({ ip, name, fqdn: `${name}.acme.local`, biosId, osFamily });
        const hostName = await new HostGroupApi(main).addHost({
          displayName: name,
          groupId: 1,
          dnsName: name,
          dnsDomain: 'acme.local',
          ip,
        });
        return { name, ip, biosId, hostName };
      };
      const run = async (tasks: TasksApi, taskId: string, devices: number) => {
        await tasks.runTask(taskId);
        await tasks.waitForTask(taskId, { expectedDevices: devices, intervalMs: 50, timeoutMs: 5000 });
        return new Map((await tasks.hostStatusList(taskId)).map((r) => [r.hostname!, r]));
      };

      it('pushes with a protected account, makes the machine managed in the group to move to, and reports per device', async () => {
        const win = await machine('windows');
        const linux = await machine('linux');
        const down = await machine('windows');
        const denied = await machine('windows');
        const reboot = await machine('windows');
        site.faults.merge({
          hostFaults: { [down.ip]: 'unreachable', [denied.ip]: 'access-denied', [reboot.biosId]: 'reboot-required' },
        });
        const tasks = new TasksApi(main);
        const account = {
          user: SEED_PUSH_INSTALL_ACCOUNT.username,
          protectedPassword: await tasks.protectPassword(SEED_PUSH_INSTALL_ACCOUNT.password),
        };
        const staging = await new HostGroupApi(main).addGroup(uniq('staging'), 0);
        const taskId = await tasks.addRemoteInstallTask({
          packageIds: [await naPackage('windows')],
          target: { hostNames: [win.hostName, linux.hostName, down.hostName, denied.hostName, reboot.hostName] },
          displayName: 'Install Network Agent',
          moveToGroupId: staging,
          accounts: [account],
        });
        const data = await tasks.getTaskData(taskId);
        expect(data).toMatchObject({ TASK_NAME: 'Remote Installation', TASKID_COMPONENT_NAME: '87' });
        const extra = data.TASK_ADDITIONAL_PARAMS as Record<string, unknown>;
        // Never restart a tenant's VM unless asked (the default).
        expect(extra).toMatchObject({
          KLTSK_RI_GROUP_TO_MOVE_HOST: staging,
          KLTSK_RI_RBT_USE_TSK_SETTINGS: true,
          KLTSK_RU_REBOOT_IMMEDIATELY: false,
          KLTSK_RU_REBOOT_ASK_FOR_REBOOT: false,
        });
        expect(JSON.stringify(data)).not.toContain(SEED_PUSH_INSTALL_ACCOUNT.password);
        const statuses = await run(tasks, taskId, 5);
        expect(statuses.get(win.hostName)).toMatchObject({
          state_code: HOST_STATE.SUCCEEDED,
          hostdn: win.name,
          try_count: 1,
        });
        expect(statuses.get(linux.hostName)).toMatchObject({
          state_code: HOST_STATE.FAILED,
          state_descr: expect.stringMatching(/Operating system .* not supported/),
        });
        expect(statuses.get(down.hostName)).toMatchObject({
          state_code: HOST_STATE.FAILED,
          state_descr: expect.stringMatching(/offline/),
        });
        expect(statuses.get(denied.hostName)).toMatchObject({
          state_code: HOST_STATE.FAILED,
          state_descr: expect.stringMatching(/Access denied/),
        });
        expect(statuses.get(reboot.hostName)).toMatchObject({
          state_code: HOST_STATE.WARNING,
          state_descr: expect.stringMatching(/must be restarted/),
        });
        expect((await tasks.statistics(taskId)).needReboot).toBe(1);
        const installed = site.ksc.hosts.get(win.hostName)!;
        expect(installed).toMatchObject({
          groupId: staging,
          nagentVersion: SEED_NETWORK_AGENT_PACKAGES.windows.version,
          installs: [NETWORK_AGENT_PRODUCT],
          biosId: win.biosId,
          osFamily: 'windows',
        });
        expect(site.ksc.hosts.get(reboot.hostName)!.reboots).toBeUndefined();
        expect(site.ksc.hosts.get(linux.hostName)!.products).toEqual([]);
        // Only the failed states, through the state mask.
        expect(
          (await tasks.hostStatusList(taskId, { stateMask: HOST_STATE.FAILED })).map((r) => r.hostname).sort(),
        ).toEqual([linux, down, denied].map((m) => m.hostName).sort());

        // The same task again: the installed device is skipped, nothing is installed twice.
        site.faults.merge({ hostFaults: {} });
        const again = await run(tasks, taskId, 5);
        expect(again.get(win.hostName)).toMatchObject({
          state_code: HOST_STATE.SUCCEEDED,
          state_descr: expect.stringMatching(/already installed/),
          try_count: 2,
        });
        expect(again.get(denied.hostName)).toMatchObject({ state_code: HOST_STATE.SUCCEEDED });
        expect(site.ksc.hosts.get(win.hostName)!.installs).toEqual([NETWORK_AGENT_PRODUCT]);
      });

      it('refuses to push without an account, or with a password this server did not protect', async () => {
        const m = await machine('linux');
        const tasks = new TasksApi(main);
        const bare = await tasks.addRemoteInstallTask({
          packageIds: [await naPackage('linux')],
          target: { hostNames: [m.hostName] },
          displayName: 'No account',
        });
        expect((await run(tasks, bare, 1)).get(m.hostName)).toMatchObject({
          state_code: HOST_STATE.FAILED,
          state_descr: expect.stringMatching(/Network agent since it is not installed/),
        });
        const forged = await tasks.addRemoteInstallTask({
          packageIds: [await naPackage('linux')],
          target: { hostNames: [m.hostName] },
          displayName: 'Forged',
          accounts: [{ user: 'root', protectedPassword: Buffer.from('plain-text-password') }],
        });
        expect((await run(tasks, forged, 1)).get(m.hostName)).toMatchObject({
          state_code: HOST_STATE.FAILED,
          state_descr: expect.stringMatching(/Access denied/),
        });
        const wrong = await tasks.addRemoteInstallTask({
          packageIds: [await naPackage('linux')],
          target: { hostNames: [m.hostName] },
          displayName: 'Wrong password',
          accounts: [
            {
              user: SEED_PUSH_INSTALL_ACCOUNT.username,
              protectedPassword: await tasks.protectPassword('not-the-password'),
            },
          ],
        });
        expect((await run(tasks, wrong, 1)).get(m.hostName)).toMatchObject({
          state_code: HOST_STATE.FAILED,
          state_descr: expect.stringMatching(/Access denied/),
        });
        expect(site.ksc.hosts.get(m.hostName)!.products).toEqual([]);
      });

      it('restarts the device only when the task says so', async () => {
        const m = await machine('windows');
        site.faults.merge({ hostFaults: { [m.name]: 'reboot-required' } });
        const tasks = new TasksApi(main);
        const account = {
          user: SEED_PUSH_INSTALL_ACCOUNT.username,
          protectedPassword: await tasks.protectPassword(SEED_PUSH_INSTALL_ACCOUNT.password),
        };
        const taskId = await tasks.addRemoteInstallTask({
          packageIds: [await naPackage('windows')],
          target: { hostNames: [m.hostName] },
          displayName: 'Forced',
          accounts: [account],
          reboot: { mode: 'force' },
        });
        expect((await run(tasks, taskId, 1)).get(m.hostName)).toMatchObject({ state_code: HOST_STATE.SUCCEEDED });
        expect(site.ksc.hosts.get(m.hostName)!.reboots).toBe(1);
      });

      it('removes a product with Remote Deinstallation, and an empty vAS name returns a device to the main server', async () => {
        const vs = await newVServer();
        const h = seedHost(0, 0, uniq('leaving'));
        const tasks = new TasksApi(main);
        const move = await tasks.addReconnectionTask(vs.dn, { hostNames: [h.hostName] });
        await run(tasks, move, 1);
        const inVs = site.ksc.hostsOf(vs.id).find((x) => x.dn === h.dn)!;
        inVs.products.push(LIGHT_AGENT_PRODUCT);
        const vasTasks = new TasksApi(await client().startSession({ vserver: vs.dn }));
        const remove = await vasTasks.addRemoteDeinstallTask({
          productName: LIGHT_AGENT_PRODUCT,
          target: { hostNames: [inVs.hostName] },
          displayName: 'Remove Light Agent',
        });
        expect(await vasTasks.getTask(remove)).toMatchObject({
          TASK_NAME: 'Remote Deinstallation',
          TASKID_PRODUCT_NAME: '1093',
        });
        expect((await run(vasTasks, remove, 1)).get(inVs.hostName)).toMatchObject({ state_code: HOST_STATE.SUCCEEDED });
        expect(site.ksc.hosts.get(inVs.hostName)!.products).toEqual([NETWORK_AGENT_PRODUCT]);
        const back = await vasTasks.addReconnectionTask('', { hostNames: [inVs.hostName] });
        await run(vasTasks, back, 1);
        expect(site.ksc.hostsOf(vs.id).filter((x) => x.dn === h.dn)).toEqual([]);
        expect(site.ksc.hostsOf(0).find((x) => x.dn === h.dn)).toMatchObject({
          groupId: 1,
          products: [NETWORK_AGENT_PRODUCT],
        });
      });
    });

    it('refuses the invented task names and parameters the platform once sent', async () => {
      const tasks = new TasksApi(main);
      const base = {
        TASKSCH_TYPE: 0,
        TASK_ADDITIONAL_PARAMS: {},
        TASK_INFO_PARAMS: { DisplayName: 'x', PRTS_TASK_GROUPID: 0 },
      };
      const refused = (pData: Record<string, unknown>) =>
        expect(tasks.addTask({ ...base, ...pData })).rejects.toMatchObject({
          name: 'KscMethodError',
          code: KSC_ERRORS.STDE_BADPARAM.code,
        });
      await refused({
        TASK_NAME: 'KLRI_TASK_REMOTE_INSTALL',
        TASKID_PRODUCT_NAME: '1093',
        TASKID_VERSION: '1.0.0.0',
        TASKID_COMPONENT_NAME: '1093',
      });
      await refused({
        TASK_NAME: 'Remote Installation',
        TASKID_PRODUCT_NAME: '1093',
        TASKID_VERSION: '1.0.0.0',
        TASKID_COMPONENT_NAME: '1093',
      });
      await refused({
        TASK_NAME: 'RemoteInstallation',
        TASKID_PRODUCT_NAME: '1093',
        TASKID_VERSION: '1.0.0.0',
        TASKID_COMPONENT_NAME: '87',
      });
      await refused({
        TASK_NAME: 'Remote Installation',
        TASKID_PRODUCT_NAME: 'KSVLA',
        TASKID_VERSION: '6.2.0.0',
        TASKID_COMPONENT_NAME: '87',
      });
      const ok = await tasks.addTask({
        ...base,
        TASK_NAME: REMOTE_INSTALLATION_TASK.taskName,
        TASKID_PRODUCT_NAME: '1093',
        TASKID_VERSION: '1.0.0.0',
        TASKID_COMPONENT_NAME: '87',
      });
      await expect(tasks.updateTask(ok, { TASK_NAME: 'KLRI_TASK_REMOTE_INSTALL' })).rejects.toBeInstanceOf(
        KscMethodError,
      );
      await expect(main.call('Tasks.ProtectPassword', { pData: 'x' })).rejects.toMatchObject({
        code: KSC_ERRORS.STDE_BADPARAM.code,
      });
      await expect(main.call('Tasks.GetHostStatusRecordsCount', { strHostIteratorId: 'nope' })).rejects.toMatchObject({
        code: KSC_ERRORS.STDE_NOTFOUND.code,
      });
    });

    it('adds a generic task with AddTask and targets devices with AddHostToTask', async () => {
      const hg = new HostGroupApi(main);
      const host = seedHost(0, await hg.addGroup(uniq('generic'), 0), uniq('generic-vm'));
      const tasks = new TasksApi(main);
      const taskId = await tasks.addTask({
        TASKID_PRODUCT_NAME: '1103',
        TASKID_VERSION: '1.0.0.0',
        TASK_NAME: 'KLNAG_TASK_SHOW_MSG',
        TASK_ADDITIONAL_PARAMS: { KLNAG_MSG_TEXT: 'hello' },
        TASKSCH_TYPE: 0,
        TASK_INFO_PARAMS: { DisplayName: 'Say hello', PRTS_TASK_GROUPID: -1 },
        TASKID_COMPONENT_NAME: '86',
      });
      await tasks.addHostToTask(taskId, host.hostName);
      await tasks.runTask(taskId);
      expect(await tasks.waitForTask(taskId, { intervalMs: 50, timeoutMs: 5000 })).toMatchObject({ completed: 1 });
    });
  });

  // Policies and settings storages: test/integration/ksc-policies.int-spec.ts

  describe('errors and resilience', () => {
    it('turns a PxgError answer into a KscMethodError with code and module, whatever the HTTP status', async () => {
      const hg = new HostGroupApi(main);
      await expect(hg.getHostInfo('no-such-host')).rejects.toMatchObject({
        name: 'KscMethodError',
        code: KSC_ERRORS.STDE_NOTFOUND.code,
        module: 'KLSTD',
        httpStatus: 200,
      });
      site.assumptions = { ...site.assumptions, kscPxgErrorHttpStatus: 400 };
      const err = (await hg.getHostInfo('no-such-host').catch((e: unknown) => e)) as KscMethodError;
      expect(err).toBeInstanceOf(KscMethodError);
      expect(err).toMatchObject({ code: KSC_ERRORS.STDE_NOTFOUND.code, httpStatus: 400 });
      expect(err.locMessage).toMatch(/not found/);
      expect(site.counters.get('HostGroup.GetHostInfo')).toBe(2); // a 4xx is never retried
    });

    it('rejects unknown and wrongly cased method names with a method error', async () => {
      await expect(main.call('HostGroup.NoSuchMethod')).rejects.toBeInstanceOf(KscMethodError);
      await expect(main.call('hostgroup.groupidgroups')).rejects.toBeInstanceOf(KscMethodError);
      expect(await main.call('Default.HostGroup.GroupIdGroups')).toEqual({ PxgRetVal: 0 });
    });

    it('retries transient 500 and 429 answers of a read and then succeeds', async () => {
      const c = client();
      const s = await c.startSession();
      site.faults.merge({ burst429: { remaining: 2, retryAfterSeconds: 0 } });
      expect(await new HostGroupApi(s).groupIdGroups()).toBe(0);
      expect(site.counters.get('HostGroup.GroupIdGroups')).toBe(3);
      site.counters.reset();
      // Exactly two internal errors of this method, then the real answer.
      site.faults.merge({ failNext: { remaining: 2, status: 500, methods: ['HostGroup.GroupIdUnassigned'] } });
      expect(await new HostGroupApi(s).groupIdUnassigned()).toBe(1);
      expect(site.counters.get('HostGroup.GroupIdUnassigned')).toBe(3);
      expect(site.faults.current.failNext.remaining).toBe(0);
    });

    it('gives up on a read after the configured attempts and does not repeat a failed write on 500', async () => {
      const s = await client({ maxAttempts: 3 }).startSession();
      site.faults.merge({ errorRate: { 'HostGroup.GroupIdGroups': 1, 'HostGroup.AddGroup': 1 } });
      await expect(new HostGroupApi(s).groupIdGroups()).rejects.toMatchObject({ name: 'KscHttpError', status: 500 });
      expect(site.counters.get('HostGroup.GroupIdGroups')).toBe(3);
      await expect(new HostGroupApi(s).addGroup(uniq('g'), 0)).rejects.toBeInstanceOf(KscHttpError);
      expect(site.counters.get('HostGroup.AddGroup')).toBe(1);
    });

    it('times out on a hanging server, retrying a read but never a write', async () => {
      const s = await client({ timeoutMs: 300, maxAttempts: 2 }).startSession();
      site.faults.merge({ hang: { remaining: 1, methods: ['HostGroup.GroupIdGroups'] } });
      expect(await new HostGroupApi(s).groupIdGroups()).toBe(0);
      expect(site.counters.get('HostGroup.GroupIdGroups')).toBe(2);
      site.faults.merge({ hang: { remaining: 1, methods: ['HostGroup.AddGroup'] } });
      const err = await new HostGroupApi(s).addGroup(uniq('g'), 0).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KasperskyTransportError);
      expect(err).toMatchObject({ kind: 'timeout' });
      expect(site.counters.get('HostGroup.AddGroup')).toBe(1);
    });

    it('refuses a body that is not JSON', async () => {
      const res = await fetch(`${url}/api/v1.0/Session.Ping`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: 'hi',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ PxgError: { code: KSC_ERRORS.STDE_BADPARAM.code, module: 'KLSTD' } });
    });

    it('accepts a bare base64 password blob when the server sends typed values unwrapped', async () => {
      site.assumptions = { ...site.assumptions, kscTopLevelScalarsWrapped: false };
      const vs = await newVServer();
      const sec = new SecurityApi(await client().startSession({ vserver: vs.dn }));
      const id = await sec.addUser({ name: uniq('plain'), password: 'An0ther!Pass' });
      expect(site.ksc.users.get(id)).toBeDefined();
    });
  });

  describe('HTTPS', () => {
    let tlsSim: RunningSimulator;
    beforeAll(async () => {
      tlsSim = await startTestSimulator([{}], { tls: 'self-signed' });
    });
    afterAll(async () => {
      await tlsSim.close();
    });

    it('connects when the pinned certificate fingerprint matches', async () => {
      const c = client({ baseUrl: tlsSim.endpoints[0].kscUrl, tls: { pinSha256: tlsSim.tls!.fingerprint256 } });
      const s = await c.startSession();
      expect(await new HostGroupApi(s).groupIdGroups()).toBe(0);
      expect(await new HostGroupApi(s).groupIdUnassigned()).toBe(1);
    });

    it('refuses a server whose certificate does not match the pin, without retrying', async () => {
      tlsSim.sites[0].counters.reset();
      const c = client({ baseUrl: tlsSim.endpoints[0].kscUrl, tls: { pinSha256: 'AA'.repeat(32) } });
      const err = await c.startSession().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KasperskyTransportError);
      expect(err).toMatchObject({ kind: 'tls' });
      expect(tlsSim.sites[0].counters.get('Session.StartSession')).toBe(0);
    });
  });
});
