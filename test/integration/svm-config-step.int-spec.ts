import { randomUUID } from 'node:crypto';
import {
  EventEnvelope,
  OnboardingRetryRequested,
  OnboardingRetryRequestedV1,
  OnboardingStepFailedV1,
  SvmConfiguredV1,
  TenantCreated,
  TenantCreatedV1,
} from '@tpo/contracts';
import { IntegrationServerClient } from '@tpo/integration-server-client';
import {
  Policy,
  SEED_LA_OTHER_SECTION,
  SEED_LA_REFERENCE_VALUES,
  SEED_LA_SECTION,
  SEED_LA_VARIABLES,
  SEED_LIGHT_AGENT,
  SEED_PROTECTION_SERVER,
  SEED_REFERENCE_POLICY_IDS,
  Site,
} from '@tpo/kaspersky-simulator';
import { decodePolicySection, encodePolicySection, KscClient, PolicyApi, PolicyValue } from '@tpo/ksc-client';
import { NatsConnection } from 'nats';
import request from 'supertest';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's feature module, run in-process like main.ts does
import { SvmConfigModule } from '../../apps/svm-config-service/src/svm-config/svm-config.module';
import { authHeaders, clientFor, eventually, sql, TestService } from '../support/harness';
import { SIM_KSC_ACCOUNT } from '../support/simulator';
import { completeTenant as createCompleteTenant } from '../support/complete-tenant';
import { startStepFixture, StepFixture } from '../support/step-fixture';
import { isolatedMessaging } from '../support/test-env';

const SERVICE = 'svm-config-service';
const V = SEED_LA_VARIABLES;
const LINUX = SEED_LIGHT_AGENT.linux;
const WINDOWS = SEED_LIGHT_AGENT.windows;

function envelope<T>(type: string, data: T): EventEnvelope<T> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    type,
    source: 'tenant-service',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    correlationid: randomUUID(),
    data,
  };
}

async function events<T>(key: string, tenantId: string): Promise<EventEnvelope<T>[]> {
  const rows = await sql<{ envelope: EventEnvelope<T> }>(
    SERVICE,
    `SELECT envelope FROM outbox WHERE event_key = $1 AND tenant_id = $2 ORDER BY seq`,
    [key, tenantId],
  );
  return rows.map((r) => r.envelope);
}

describe('svm-config-service: steps 3-4 against the simulated KSC (real Postgres + JetStream)', () => {
  const messaging = isolatedMessaging();
  let nc: NatsConnection;
  let site: Site;
  let is: IntegrationServerClient;
  let svc: TestService;
  let ksc: KscClient;

  const policiesIn = (groupId: number, name?: string): Policy[] =>
    [...site.ksc.policies.values()].filter((p) => p.vsId === 0 && p.groupId === groupId && (!name || p.name === name));
  const group = (parentId: number, name: string) => site.ksc.childGroup(0, parentId, name);
  const tenantFolder = (name: string) => group(group(0, 'Multitenancy KSV LA')!.id, name)!;

  /** A policy's settings read back through the documented SsContents flow (GetPolicyContents, SS_GetNames, Ss_Read, Ss_Release). */
  async function readBack(
    policyId: number,
    product: string,
    version: string,
  ): Promise<Record<string, Record<string, PolicyValue>>> {
    const session = await ksc.startSession();
    try {
      return await new PolicyApi(session).withPolicyContents(policyId, async (c) => {
        const out: Record<string, Record<string, PolicyValue>> = {};
        for (const section of await c.sections(product, version))
          out[section] = decodePolicySection(await c.read(product, version, section));
        return out;
      });
    } finally {
      await session.endSession();
    }
  }

  /** A Complete tenant on the simulated Integration Server, and its TenantCreated data. */
  const completeTenant = (
    name: string,
    protection?: TenantCreatedV1['protection'],
    osFamilies?: ('linux' | 'windows')[],
  ): Promise<TenantCreatedV1> => createCompleteTenant(is, site.id, name, { protection, osFamilies });

  const publishCreated = (data: TenantCreatedV1) =>
    clientFor(nc, messaging).publishEvent(TenantCreated, envelope(TenantCreated.type, data));
  const firstEvent = <T>(key: string, tenantId: string) =>
    eventually(async () => (await events<T>(key, tenantId))[0] && events<T>(key, tenantId));

  let fixture: StepFixture;

  beforeAll(async () => {
    fixture = await startStepFixture({
      service: SERVICE,
      messaging,
      consumes: ['tenant-created.v1', 'onboarding-retry-requested.v1'],
      feature: SvmConfigModule,
    });
    ({ site, is, nc, svc } = fixture);
    ksc = new KscClient({
      baseUrl: fixture.sim.endpoints[0].kscUrl,
      credentials: { user: SIM_KSC_ACCOUNT.name, password: SIM_KSC_ACCOUNT.password },
      timeoutMs: 5000,
    });
  });

  afterAll(async () => {
    await ksc?.close();
    await fixture?.close();
  });

  let acme: TenantCreatedV1;

  it('clones the reference Light Agent policy per OS family into Multitenancy KSV LA/<tenant>: reference settings kept, IS address/port and SVM settings locked', async () => {
    acme = await completeTenant(
      'Acme Corp',
      { connectionTags: ['acme-gold'], svmPathScope: 'same-cluster', integrationServerAddress: '192.0.2.10' },
      ['linux', 'windows'],
    );
    const vsName = site.ksc.vservers.get(Number(acme.virtualServerId))!.dn;
    await publishCreated(acme);

    const [configured] = await eventually(
      async () =>
        (await events<SvmConfiguredV1>('svm-configured.v1', acme.tenantId)).length === 1 &&
        events<SvmConfiguredV1>('svm-configured.v1', acme.tenantId),
    );
    expect(configured.data).toMatchObject({
      tenantId: acme.tenantId,
      siteId: site.id,
      integrationServerTenantId: acme.integrationServerTenantId,
      virtualServerId: acme.virtualServerId,
      virtualServerName: vsName,
      vms: acme.vms,
      applied: {
        lightAgentPolicy: 'TPO Light Agent Linux - Acme Corp, TPO Light Agent Windows - Acme Corp',
        lightAgentPolicies: [
          { osFamily: 'linux', name: 'TPO Light Agent Linux - Acme Corp' },
          { osFamily: 'windows', name: 'TPO Light Agent Windows - Acme Corp' },
        ],
        discovery: 'integration-server',
        integrationServerAddress: '192.0.2.10',
        integrationServerPort: 7271,
        connectionTags: ['acme-gold'],
        svmPathScope: 'same-cluster',
        protectionProfile: 'standard',
        protectionServerPolicy: 'TPO Protection Server - standard',
        locked: true,
      },
    });

    const inFolder = policiesIn(tenantFolder('Acme Corp').id);
    expect(inFolder.map((p) => [p.name, p.productName, p.active]).sort()).toEqual([
      ['TPO Light Agent Linux - Acme Corp', LINUX.product, true],
      ['TPO Light Agent Windows - Acme Corp', WINDOWS.product, true],
    ]);
    const la = inFolder.find((p) => p.productName === LINUX.product)!;
    const settings = await readBack(la.id, LINUX.product, LINUX.version);
    const reference = await readBack(SEED_REFERENCE_POLICY_IDS.linux, LINUX.product, LINUX.version);
    // Everything the admin set in the reference is there, untouched…
    expect(settings[SEED_LA_OTHER_SECTION]).toEqual(reference[SEED_LA_OTHER_SECTION]);
    expect(settings[SEED_LA_SECTION].SvmSelectionAlgorithm).toEqual({
      value: SEED_LA_REFERENCE_VALUES.SvmSelectionAlgorithm,
      locked: false,
    });
    // …and the captured SVM-connection variables hold the tenant's values, every one locked.
    expect(settings[SEED_LA_SECTION]).toMatchObject({
      [V.discoveryMethod]: { value: V.discoveryMethodIntegrationServer, locked: true },
      [V.integrationServerAddress]: { value: '192.0.2.10', locked: true },
      [V.integrationServerPort]: { value: 7271, locked: true },
      [V.connectionTags]: { value: ['acme-gold'], locked: true },
      [V.svmPathScope]: { value: 'same-cluster', locked: true },
    });
    // The reference itself is unchanged and no settings storage was left open.
    expect(reference[SEED_LA_SECTION][V.integrationServerAddress]).toEqual({
      value: SEED_LA_REFERENCE_VALUES[V.integrationServerAddress],
      locked: false,
    });
    expect(site.ksc.ssContents.size).toBe(0);
    // Nothing inside the tenant's vAS: the tenant admin cannot change or see the provider policies.
    expect([...site.ksc.policies.values()].filter((p) => p.vsId !== 0)).toHaveLength(0);

    const svmFolder = group(group(0, 'TPO SVMs')!.id, 'standard')!;
    const [ps, ...morePs] = policiesIn(svmFolder.id);
    expect(morePs).toHaveLength(0);
    expect(ps).toMatchObject({
      name: 'TPO Protection Server - standard',
      active: true,
      productName: SEED_PROTECTION_SERVER.product,
    });
    expect(await readBack(ps.id, SEED_PROTECTION_SERVER.product, SEED_PROTECTION_SERVER.version)).toEqual(
      await readBack(
        SEED_REFERENCE_POLICY_IDS.protectionStandard,
        SEED_PROTECTION_SERVER.product,
        SEED_PROTECTION_SERVER.version,
      ),
    );

    const res = await request(svc.url)
      .get(`/v1/svm-configs/${acme.tenantId}`)
      .set(await authHeaders())
      .expect(200);
    expect(res.body).toMatchObject({
      tenantId: acme.tenantId,
      siteId: site.id,
      status: 'succeeded',
      attempt: 1,
      virtualServerName: vsName,
      applied: configured.data.applied,
    });
    expect(res.body.output).toMatchObject({
      lightAgentPolicyId: la.id,
      protectionServerPolicyId: ps.id,
      changes: { lightAgentPolicy: 'created', protectionServerPolicy: 'created' },
    });
    expect(res.body.output.lightAgentPolicies).toEqual([
      { osFamily: 'linux', policyId: la.id, referencePolicyId: SEED_REFERENCE_POLICY_IDS.linux, change: 'created' },
      {
        osFamily: 'windows',
        policyId: expect.any(Number),
        referencePolicyId: SEED_REFERENCE_POLICY_IDS.windows,
        change: 'created',
      },
    ]);
    expect(res.body.input).toBeUndefined();
    const list = await request(svc.url)
      .get('/v1/svm-configs?status=succeeded&limit=10')
      .set(await authHeaders())
      .expect(200);
    expect(list.body.items.map((i: { tenantId: string }) => i.tenantId)).toContain(acme.tenantId);
    await request(svc.url)
      .get(`/v1/svm-configs/${randomUUID()}`)
      .set(await authHeaders())
      .expect(404);
  });

  it('a redelivered TenantCreated (new event id, same tenant) creates no second policy and no second event', async () => {
    const before = site.ksc.policies.size;
    const again = envelope(TenantCreated.type, acme);
    await clientFor(nc, messaging).publishEvent(TenantCreated, again);
    await eventually(
      async () => (await sql(SERVICE, `SELECT 1 FROM inbox WHERE event_id = $1`, [again.id])).length === 1,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(site.ksc.policies.size).toBe(before);
    expect(policiesIn(tenantFolder('Acme Corp').id)).toHaveLength(2);
    expect(await events('svm-configured.v1', acme.tenantId)).toHaveLength(1);
  });

  it('a second tenant with the same profile shares the Protection Server policy and gets the site default IS address', async () => {
    const beta = await completeTenant('Beta Ltd');
    await publishCreated(beta);
    const [configured] = await firstEvent<SvmConfiguredV1>('svm-configured.v1', beta.tenantId);
    // Linux VMs only, yet a policy for every OS family the site serves: Windows VMs added later need one.
    expect(configured.data.applied).toMatchObject({
      integrationServerAddress: '127.0.0.1',
      connectionTags: [],
      svmPathScope: 'any',
      protectionProfile: 'standard',
      lightAgentPolicy: 'TPO Light Agent Linux - Beta Ltd, TPO Light Agent Windows - Beta Ltd',
    });
    expect(
      policiesIn(tenantFolder('Beta Ltd').id)
        .map((p) => p.productName)
        .sort(),
    ).toEqual([LINUX.product, WINDOWS.product].sort());
    const la = policiesIn(tenantFolder('Beta Ltd').id).find((p) => p.productName === LINUX.product)!;
    expect((await readBack(la.id, LINUX.product, LINUX.version))[SEED_LA_SECTION]).toMatchObject({
      [V.integrationServerAddress]: { value: '127.0.0.1', locked: true },
      [V.svmPathScope]: { value: 'any', locked: true },
    });
    const svmFolder = group(group(0, 'TPO SVMs')!.id, 'standard')!;
    expect(policiesIn(svmFolder.id, 'TPO Protection Server - standard')).toHaveLength(1);
    const [row] = await sql<{ output: { changes: Record<string, string> } }>(
      SERVICE,
      `SELECT output FROM step_work WHERE tenant_id = $1`,
      [beta.tenantId],
    );
    expect(row.output.changes).toEqual({ lightAgentPolicy: 'created', protectionServerPolicy: 'unchanged' });
  });

  it('a missing vAS fails the step (retryable); an admin retry after the fix succeeds and brings a drifted clone in line', async () => {
    const gamma = await completeTenant('Gamma GmbH', { connectionTags: ['gamma'] });
    const vsId = Number(gamma.virtualServerId);
    const vs = site.ksc.vservers.get(vsId)!;
    site.ksc.vservers.delete(vsId); // the vAS is not there (yet)
    await publishCreated(gamma);

    const [failed] = await firstEvent<OnboardingStepFailedV1>('onboarding-step-failed.v1', gamma.tenantId);
    expect(failed.data).toMatchObject({
      tenantId: gamma.tenantId,
      siteId: site.id,
      step: 'configure-svm',
      code: 'VSERVER_NOT_FOUND',
      retryable: true,
      attempt: 1,
    });
    expect(await events('svm-configured.v1', gamma.tenantId)).toHaveLength(0);
    const folder = tenantFolder('Gamma GmbH');
    expect(policiesIn(folder.id)).toHaveLength(0);
    expect(
      (
        await request(svc.url)
          .get(`/v1/svm-configs/${gamma.tenantId}`)
          .set(await authHeaders())
          .expect(200)
      ).body,
    ).toMatchObject({ status: 'failed', errorCode: 'VSERVER_NOT_FOUND', retryable: true });

    // The fix: the vAS is back. Meanwhile a console user copied the reference under our name, unlocked and changed a value and deactivated it.
    site.ksc.vservers.set(vsId, vs);
    const session = await ksc.startSession();
    const api = new PolicyApi(session);
    const drifted = await api.copyOrMovePolicy(SEED_REFERENCE_POLICY_IDS.linux, folder.id, false, {
      name: 'TPO Light Agent Linux - Gamma GmbH',
      active: false,
    });
    await api.withPolicyContents(drifted, async (c) => {
      await c.replace(
        LINUX.product,
        LINUX.version,
        SEED_LA_SECTION,
        encodePolicySection({
          [V.integrationServerAddress]: { value: '10.9.9.9', locked: false },
          ProviderTweak: { value: 'keep', locked: false },
        }),
      );
      await c.apply();
    });
    await session.endSession();
    const retry: OnboardingRetryRequestedV1 = { tenantId: gamma.tenantId, step: 'configure-svm', attempt: 2 };
    await clientFor(nc, messaging).publishEvent(
      OnboardingRetryRequested,
      envelope(OnboardingRetryRequested.type, retry),
    );

    const [configured] = await firstEvent<SvmConfiguredV1>('svm-configured.v1', gamma.tenantId);
    expect(configured.data).toMatchObject({
      virtualServerName: vs.dn,
      applied: { connectionTags: ['gamma'], integrationServerAddress: '127.0.0.1' },
    });
    const linuxClones = policiesIn(folder.id).filter((p) => p.productName === LINUX.product);
    expect(linuxClones).toHaveLength(1);
    const [la] = linuxClones;
    expect(la.id).toBe(drifted);
    expect(la.active).toBe(true);
    expect((await readBack(la.id, LINUX.product, LINUX.version))[SEED_LA_SECTION]).toMatchObject({
      [V.discoveryMethod]: { value: V.discoveryMethodIntegrationServer, locked: true },
      [V.integrationServerAddress]: { value: '127.0.0.1', locked: true },
      [V.integrationServerPort]: { value: 7271, locked: true },
      [V.connectionTags]: { value: ['gamma'], locked: true },
      ProviderTweak: { value: 'keep', locked: false },
    });
    const res = await request(svc.url)
      .get(`/v1/svm-configs/${gamma.tenantId}`)
      .set(await authHeaders())
      .expect(200);
    expect(res.body).toMatchObject({ status: 'succeeded', attempt: 2, errorCode: null });
    expect(
      res.body.output.lightAgentPolicies.map((l: { osFamily: string; change: string }) => [l.osFamily, l.change]),
    ).toEqual([
      ['linux', 'updated'],
      ['windows', 'created'],
    ]);
  });

  it('a tenant folder missing on the main server fails the step with TENANT_FOLDER_NOT_FOUND (retryable)', async () => {
    const ghost: TenantCreatedV1 = {
      ...acme,
      tenantId: randomUUID(),
      orderId: 'order-ghost',
      tenantName: 'Ghost Tenant',
    };
    await publishCreated(ghost);
    const [failed] = await firstEvent<OnboardingStepFailedV1>('onboarding-step-failed.v1', ghost.tenantId);
    expect(failed.data).toMatchObject({
      step: 'configure-svm',
      code: 'TENANT_FOLDER_NOT_FOUND',
      retryable: true,
      attempt: 1,
    });
    expect([...site.ksc.policies.values()].filter((p) => p.name.includes('Ghost'))).toHaveLength(0);
  });

  it('a reference policy of the wrong product, or missing, fails clearly (not retryable) before any change on the KSC', async () => {
    const policyChanges = () => site.calls.snapshot().filter((c) => /^(Policy|SsContents)\./.test(c.op)).length;
    const reference = site.ksc.policies.get(SEED_REFERENCE_POLICY_IDS.linux)!;
    reference.productName = 'KES'; // the admin pointed the site at a policy of another product
    const delta = await completeTenant('Delta AG');
    const changesBefore = policyChanges();
    const policiesBefore = site.ksc.policies.size;
    await publishCreated(delta);
    const [wrong] = await firstEvent<OnboardingStepFailedV1>('onboarding-step-failed.v1', delta.tenantId);
    expect(wrong.data).toMatchObject({
      step: 'configure-svm',
      code: 'REFERENCE_POLICY_WRONG_PRODUCT',
      retryable: false,
    });
    expect(wrong.data.message).toContain(`${SEED_REFERENCE_POLICY_IDS.linux}`);
    expect(site.ksc.policies.size).toBe(policiesBefore);
    expect(policiesIn(tenantFolder('Delta AG').id)).toHaveLength(0);
    reference.productName = LINUX.product;

    const windowsRef = site.ksc.policies.get(SEED_REFERENCE_POLICY_IDS.windows)!;
    site.ksc.policies.delete(windowsRef.id);
    const epsilon = await completeTenant('Epsilon SA', undefined, ['linux', 'windows']);
    await publishCreated(epsilon);
    const [missing] = await firstEvent<OnboardingStepFailedV1>('onboarding-step-failed.v1', epsilon.tenantId);
    expect(missing.data).toMatchObject({ step: 'configure-svm', code: 'REFERENCE_POLICY_NOT_FOUND', retryable: false });
    // The Linux policy was not cloned either: the check runs for every family before any change.
    expect(policiesIn(tenantFolder('Epsilon SA').id)).toHaveLength(0);
    expect(site.ksc.policies.size).toBe(policiesBefore - 1); // the removed reference;
    // No state-changing policy call at all for these two tenants.
    expect(policyChanges()).toBe(changesBefore);
    site.ksc.policies.set(windowsRef.id, windowsRef);
  });

  it('a reference policy re-saved without a captured variable fails the next tenant with REFERENCE_SETTING_NOT_FOUND, though earlier tenants passed', async () => {
    // Earlier tenants passed the Linux reference's settings check; the step remembers that until the policy is modified.
    const reference = site.ksc.policies.get(SEED_REFERENCE_POLICY_IDS.linux)!;
    const saved = structuredClone(reference.settings);
    delete reference.settings[LINUX.product][LINUX.version][SEED_LA_SECTION][V.integrationServerPort];
    reference.modified = new Date(reference.modified.getTime() + 1000); // what a console save does to KLPOL_MODIFIED
    const eta = await completeTenant('Eta Ltd');
    await publishCreated(eta);
    const [failed] = await firstEvent<OnboardingStepFailedV1>('onboarding-step-failed.v1', eta.tenantId);
    expect(failed.data).toMatchObject({ step: 'configure-svm', code: 'REFERENCE_SETTING_NOT_FOUND', retryable: false });
    expect(failed.data.message).toContain(V.integrationServerPort);
    expect(policiesIn(tenantFolder('Eta Ltd').id)).toHaveLength(0);
    reference.settings = saved;
    reference.modified = new Date(reference.modified.getTime() + 1000);
  });

  it('a protection profile the site does not configure fails before any KSC call (not retryable)', async () => {
    const zeta = await completeTenant('Zeta Oy', { protectionProfile: 'gold' });
    const before = site.calls.snapshot().length;
    await publishCreated(zeta);
    const [failed] = await firstEvent<OnboardingStepFailedV1>('onboarding-step-failed.v1', zeta.tenantId);
    expect(failed.data).toMatchObject({
      step: 'configure-svm',
      code: 'PROTECTION_PROFILE_NOT_CONFIGURED',
      retryable: false,
    });
    expect(
      site.calls
        .snapshot()
        .slice(before)
        .filter((c) => /^(Policy|SsContents)\./.test(c.op)),
    ).toEqual([]);
  });
});
