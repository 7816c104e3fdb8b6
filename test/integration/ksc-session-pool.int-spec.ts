import { randomUUID } from 'node:crypto';
import { EventEnvelope, SvmConfiguredV1, TenantCreated, TenantCreatedV1 } from '@tpo/contracts';
import { DEFAULT_ASSUMPTIONS, RunningSimulator, Site } from '@tpo/kaspersky-simulator';
import { HostGroupApi, KscClient, KscSessionPool } from '@tpo/ksc-client';
import { KasperskyClients } from '@tpo/site-directory';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's feature module, run in-process like main.ts does
import { SvmConfigModule } from '../../apps/svm-config-service/src/svm-config/svm-config.module';
import { clientFor, eventually, sql } from '../support/harness';
import { SIM_KSC_ACCOUNT, startTestSimulator } from '../support/simulator';
import { startStepFixture, StepFixture } from '../support/step-fixture';
import { isolatedMessaging } from '../support/test-env';
import { completeTenant as createCompleteTenant } from '../support/complete-tenant';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uniq = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const PROVIDER = { user: SIM_KSC_ACCOUNT.name, password: SIM_KSC_ACCOUNT.password };
type SessionsSnapshot = { sessions: { vsId: number }[] };

describe('pooled main-server KSC sessions against the simulator', () => {
  describe('KscSessionPool and the simulator', () => {
    let sim: RunningSimulator;
    let site: Site;
    let client: KscClient;
    const open = () => (site.kscProtocol!.snapshot() as SessionsSnapshot).sessions.length;

    beforeAll(async () => {
      sim = await startTestSimulator([{}]);
      site = sim.sites[0];
      client = new KscClient({ baseUrl: sim.endpoints[0].kscUrl, credentials: PROVIDER, timeoutMs: 5000 });
    });
    afterAll(async () => {
      await client.close();
      await sim.close();
    });
    beforeEach(() => {
      site.assumptions = { ...DEFAULT_ASSUMPTIONS };
      site.counters.reset();
    });

    it('a session the server expired while it sat in the pool does not fail a state-changing first call', async () => {
      const pool = new KscSessionPool(client, { idleMaxMs: 3_600_000 });
      site.assumptions = { ...site.assumptions, kscSessionIdleTimeoutSeconds: 1 };
      await pool.use((s) => new HostGroupApi(s).groupIdGroups());
      await sleep(1300); // the simulator forgets the token: the next call on it gets 403
      const name = uniq('pooled');
      const id = await pool.use((s) => new HostGroupApi(s).addGroup(name, 0));
      expect(site.ksc.childGroup(0, 0, name)?.id).toBe(id); // made once, by the repeated call
      expect(site.counters.get('HostGroup.AddGroup')).toBe(2); // refused on the dead token, then run
      expect(site.counters.get('Session.StartSession')).toBe(2);
      expect(pool.size).toEqual({ idle: 1, lent: 0 });
      await pool.close();
      expect(open()).toBe(0);
    });

    it('a session idle beyond idleMaxMs is ended by the pool and replaced, before the server refuses it', async () => {
      const pool = new KscSessionPool(client, { idleMaxMs: 1000 });
      await pool.use((s) => new HostGroupApi(s).groupIdGroups());
      await pool.use((s) => new HostGroupApi(s).groupIdGroups());
      expect(site.counters.get('Session.StartSession')).toBe(1);
      await sleep(1100);
      await pool.use((s) => new HostGroupApi(s).addGroup(uniq('fresh'), 0));
      expect(site.counters.snapshot()).toMatchObject({
        'Session.StartSession': 2,
        'Session.EndSession': 1,
        'HostGroup.GroupIdGroups': 2,
        'HostGroup.AddGroup': 1, // no refused attempt: the old token was never used again
      });
      expect(open()).toBe(1);
      await pool.close();
      expect(site.counters.get('Session.EndSession')).toBe(2);
      expect(open()).toBe(0);
    });

    it('the simulator refuses an ended token with 403 and forgets idle ones (what the pool relies on)', async () => {
      site.assumptions = { ...site.assumptions, kscSessionIdleTimeoutSeconds: 1 };
      const ended = await client.startSession();
      await ended.endSession();
      await expect(ended.call('HostGroup.AddGroup', { pInfo: { name: uniq('x'), parentId: 0 } })).rejects.toMatchObject(
        { name: 'KscAuthError', status: 403 },
      );
      await client.startSession();
      expect(open()).toBe(1);
      await sleep(1300);
      expect(open()).toBe(0);
    });
  });

  describe('onboarding steps borrow a pooled session (svm-config-service)', () => {
    const messaging = isolatedMessaging();
    let fixture: StepFixture;
    let site: Site;

    const completeTenant = (): Promise<TenantCreatedV1> => createCompleteTenant(fixture.is, site.id, uniq('Pool Corp'));

    const configure = async (t: TenantCreatedV1) => {
      const env: EventEnvelope<TenantCreatedV1> = {
        specversion: '1.0',
        id: randomUUID(),
        type: TenantCreated.type,
        source: 'tenant-service',
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        correlationid: randomUUID(),
        data: t,
      };
      await clientFor(fixture.nc, messaging).publishEvent(TenantCreated, env);
      await eventually(async () => {
        const rows = await sql<{ envelope: EventEnvelope<SvmConfiguredV1> }>(
          'svm-config-service',
          `SELECT envelope FROM outbox WHERE event_key = 'svm-configured.v1' AND tenant_id = $1`,
          [t.tenantId],
        );
        return rows.length === 1;
      }, 20_000);
    };

    beforeAll(async () => {
      fixture = await startStepFixture({
        service: 'svm-config-service',
        messaging,
        consumes: ['tenant-created.v1', 'onboarding-retry-requested.v1'],
        feature: SvmConfigModule,
      });
      site = fixture.site;
    });
    afterAll(() => fixture?.close());

    it('configures four tenants one after another on one main-server session and the same connections (one StartSession per tenant before)', async () => {
      const tenants = [];
      for (let i = 0; i < 4; i++) tenants.push(await completeTenant());
      site.counters.reset();
      const connectionsBefore = site.connections.ksc;
      for (const t of tenants) await configure(t);
      expect(site.counters.get('Session.StartSession')).toBe(1);
      // HTTP keep-alive across jobs: ~30 KSC calls per tenant went over at most the client's 8 connections.
      expect(site.counters.get('HostGroup.GroupIdGroups')).toBeGreaterThanOrEqual(4);
      expect(site.connections.ksc - connectionsBefore).toBeLessThanOrEqual(8);
      expect(site.counters.get('Session.EndSession')).toBe(0);
      const { sessions } = await fixture.svc.app.get(KasperskyClients).kscClient(site.id);
      expect(sessions.size).toEqual({ idle: 1, lent: 0 });
    });

    it('replaces a pooled session the server expired, without failing the step', async () => {
      const t = await completeTenant();
      site.assumptions = { ...site.assumptions, kscSessionIdleTimeoutSeconds: 1 };
      await sleep(1300);
      site.counters.reset();
      await configure(t);
      site.assumptions = { ...site.assumptions, kscSessionIdleTimeoutSeconds: 1800 };
      expect(site.counters.get('Session.StartSession')).toBe(1); // one new login, inside the step
      const [step] = await sql<{ status: string; attempt: number }>(
        'svm-config-service',
        `SELECT status, attempt FROM step_work WHERE tenant_id = $1`,
        [t.tenantId],
      );
      expect(step).toMatchObject({ status: 'succeeded' });
    });

    it('ends the pooled sessions when the service shuts down', async () => {
      expect((site.kscProtocol!.snapshot() as SessionsSnapshot).sessions.filter((s) => s.vsId === 0)).toHaveLength(1);
      const ends = site.counters.get('Session.EndSession');
      await fixture.svc.close();
      expect(site.counters.get('Session.EndSession')).toBe(ends + 1);
      expect((site.kscProtocol!.snapshot() as SessionsSnapshot).sessions).toEqual([]);
      fixture.svc = await fixture.restart();
    });
  });
});
