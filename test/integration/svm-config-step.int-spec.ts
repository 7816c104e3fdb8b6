import { randomUUID } from 'node:crypto';
import { EventEnvelope, OnboardingRetryRequested, OnboardingRetryRequestedV1, OnboardingStepFailedV1, SvmConfiguredV1, TenantCreated, TenantCreatedV1 } from '@tpo/contracts';
import { IntegrationServerClient } from '@tpo/integration-server-client';
import { Policy, Site } from '@tpo/kaspersky-simulator';
import { NatsConnection } from 'nats';
import request from 'supertest';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's feature module, run in-process like main.ts does
import { SvmConfigModule } from '../../apps/svm-config-service/src/svm-config/svm-config.module';
import { authHeaders, clientFor, eventually, sql, TestService } from '../support/harness';
import { startStepFixture, StepFixture } from '../support/step-fixture';
import { isolatedMessaging } from '../support/test-env';

const SERVICE = 'svm-config-service';
const LA = {
  discovery: 'KSVLA_SVM_DISCOVERY_METHOD',
  isAddress: 'KSVLA_IS_ADDRESS',
  isPort: 'KSVLA_IS_PORT',
  tags: 'KSVLA_CONNECTION_TAGS',
  algorithm: 'KSVLA_SVM_SELECTION_ALGORITHM',
  pathScope: 'KSVLA_SVM_PATH_SCOPE',
};

function envelope<T>(type: string, data: T): EventEnvelope<T> {
  return { specversion: '1.0', id: randomUUID(), type, source: 'tenant-service', time: new Date().toISOString(), datacontenttype: 'application/json', correlationid: randomUUID(), data };
}

async function events<T>(key: string, tenantId: string): Promise<EventEnvelope<T>[]> {
  const rows = await sql<{ envelope: EventEnvelope<T> }>(SERVICE, `SELECT envelope FROM outbox WHERE event_key = $1 AND tenant_id = $2 ORDER BY seq`, [key, tenantId]);
  return rows.map((r) => r.envelope);
}

describe('svm-config-service: steps 2-3 against the simulated KSC (real Postgres + JetStream)', () => {
  const messaging = isolatedMessaging();
  let nc: NatsConnection;
  let site: Site;
  let is: IntegrationServerClient;
  let svc: TestService;

  const policiesIn = (groupId: number, name?: string): Policy[] => [...site.ksc.policies.values()].filter((p) => p.vsId === 0 && p.groupId === groupId && (!name || p.name === name));
  const group = (parentId: number, name: string) => site.ksc.childGroup(0, parentId, name);
  const tenantFolder = (name: string) => group(group(0, 'Multitenancy KSV LA')!.id, name)!;

  /** A Complete tenant on the simulated Integration Server (vAS + admin + tenant folder), and its TenantCreated data. */
  async function completeTenant(name: string, protection?: TenantCreatedV1['protection']): Promise<TenantCreatedV1> {
    const task = await is.waitForTask((await is.createTenant({ name, type: 'Complete', vKsc: { name: `adm-${randomUUID().slice(0, 8)}`, password: 'S3cure!Passw0rd' } })).taskId, {
      initialDelayMs: 20,
      maxDelayMs: 50,
      deadlineMs: 10_000,
    });
    const tenant = task.result!.tenant!;
    return {
      tenantId: randomUUID(),
      siteId: site.id,
      orderId: `order-${randomUUID()}`,
      tenantName: name,
      integrationServerTenantId: tenant.id,
      virtualServerId: tenant.vKsc!.id!,
      adminAccountName: tenant.vKsc!.userName!,
      vms: [{ biosUuid: randomUUID(), name: 'vm-01', osFamily: 'linux', address: '10.1.0.11' }],
      protection,
    };
  }

  const publishCreated = (data: TenantCreatedV1) => clientFor(nc, messaging).publishEvent(TenantCreated, envelope(TenantCreated.type, data));

  let fixture: StepFixture;

  beforeAll(async () => {
    fixture = await startStepFixture({ service: SERVICE, messaging, consumes: ['tenant-created.v1', 'onboarding-retry-requested.v1'], feature: SvmConfigModule });
    ({ site, is, nc, svc } = fixture);
  });

  afterAll(() => fixture?.close());

  let acme: TenantCreatedV1;

  it('applies the Light Agent and Protection Server policies and emits SvmConfigured with the real vAS name', async () => {
    acme = await completeTenant('Acme Corp', { connectionTags: ['acme-gold'], svmPathScope: 'same-cluster', integrationServerAddress: '192.0.2.10' });
    const vsName = site.ksc.vservers.get(Number(acme.virtualServerId))!.dn;
    await publishCreated(acme);

    const [configured] = await eventually(async () => (await events<SvmConfiguredV1>('svm-configured.v1', acme.tenantId)).length === 1 && events<SvmConfiguredV1>('svm-configured.v1', acme.tenantId));
    expect(configured.data).toMatchObject({
      tenantId: acme.tenantId,
      siteId: site.id,
      integrationServerTenantId: acme.integrationServerTenantId,
      virtualServerId: acme.virtualServerId,
      virtualServerName: vsName,
      vms: acme.vms,
      applied: {
        lightAgentPolicy: 'TPO Light Agent - Acme Corp',
        discovery: 'integration-server',
        integrationServerAddress: '192.0.2.10',
        connectionTags: ['acme-gold'],
        svmPathScope: 'same-cluster',
        protectionProfile: 'standard',
        protectionServerPolicy: 'TPO Protection Server - standard',
        locked: true,
      },
    });

    const [la, ...moreLa] = policiesIn(tenantFolder('Acme Corp').id);
    expect(moreLa).toHaveLength(0);
    expect(la).toMatchObject({ name: 'TPO Light Agent - Acme Corp', active: true });
    expect(la.settings).toEqual({ [LA.discovery]: 'IntegrationServer', [LA.isAddress]: '192.0.2.10', [LA.isPort]: 7271, [LA.tags]: ['acme-gold'], [LA.algorithm]: 'extended', [LA.pathScope]: 'same-cluster' });
    expect([...la.locked].sort()).toEqual(Object.values(LA).sort());
    // Nothing inside the tenant's vAS: the tenant admin cannot change or see the provider policies.
    expect([...site.ksc.policies.values()].filter((p) => p.vsId !== 0)).toHaveLength(0);

    const svmFolder = group(group(0, 'TPO SVMs')!.id, 'standard')!;
    const [ps, ...morePs] = policiesIn(svmFolder.id);
    expect(morePs).toHaveLength(0);
    expect(ps).toMatchObject({ name: 'TPO Protection Server - standard', active: true, settings: { KSVSVM_PROTECTION_PROFILE: 'standard' } });

    const res = await request(svc.url).get(`/v1/svm-configs/${acme.tenantId}`).set(await authHeaders()).expect(200);
    expect(res.body).toMatchObject({ tenantId: acme.tenantId, siteId: site.id, status: 'succeeded', attempt: 1, virtualServerName: vsName, applied: configured.data.applied });
    expect(res.body.output).toMatchObject({ lightAgentPolicyId: la.id, protectionServerPolicyId: ps.id, changes: { lightAgentPolicy: 'created', protectionServerPolicy: 'created' } });
    expect(res.body.input).toBeUndefined();
    const list = await request(svc.url).get('/v1/svm-configs?status=succeeded&limit=10').set(await authHeaders()).expect(200);
    expect(list.body.items.map((i: { tenantId: string }) => i.tenantId)).toContain(acme.tenantId);
    await request(svc.url).get(`/v1/svm-configs/${randomUUID()}`).set(await authHeaders()).expect(404);
  });

  it('a redelivered TenantCreated (new event id, same tenant) creates no second policy and no second event', async () => {
    const before = site.ksc.policies.size;
    const again = envelope(TenantCreated.type, acme);
    await clientFor(nc, messaging).publishEvent(TenantCreated, again);
    await eventually(async () => (await sql(SERVICE, `SELECT 1 FROM inbox WHERE event_id = $1`, [again.id])).length === 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(site.ksc.policies.size).toBe(before);
    expect(policiesIn(tenantFolder('Acme Corp').id)).toHaveLength(1);
    expect(await events('svm-configured.v1', acme.tenantId)).toHaveLength(1);
  });

  it('a second tenant with the same profile shares the Protection Server policy and gets the site default IS address', async () => {
    const beta = await completeTenant('Beta Ltd');
    await publishCreated(beta);
    const [configured] = await eventually(async () => (await events<SvmConfiguredV1>('svm-configured.v1', beta.tenantId))[0] && events<SvmConfiguredV1>('svm-configured.v1', beta.tenantId));
    expect(configured.data.applied).toMatchObject({ integrationServerAddress: '127.0.0.1', connectionTags: [], svmPathScope: 'any', protectionProfile: 'standard' });
    expect(policiesIn(tenantFolder('Beta Ltd').id)[0].settings).toMatchObject({ [LA.isAddress]: '127.0.0.1', [LA.algorithm]: 'standard' });
    const svmFolder = group(group(0, 'TPO SVMs')!.id, 'standard')!;
    expect(policiesIn(svmFolder.id, 'TPO Protection Server - standard')).toHaveLength(1);
    const [row] = await sql<{ output: { changes: Record<string, string> } }>(SERVICE, `SELECT output FROM step_work WHERE tenant_id = $1`, [beta.tenantId]);
    expect(row.output.changes).toEqual({ lightAgentPolicy: 'created', protectionServerPolicy: 'unchanged' });
  });

  it('a missing vAS fails the step (retryable); an admin retry after the fix succeeds and brings a drifted policy in line', async () => {
    const gamma = await completeTenant('Gamma GmbH', { connectionTags: ['gamma'] });
    const vsId = Number(gamma.virtualServerId);
    const vs = site.ksc.vservers.get(vsId)!;
    site.ksc.vservers.delete(vsId); // the vAS is not there (yet)
    await publishCreated(gamma);

    const [failed] = await eventually(async () => (await events<OnboardingStepFailedV1>('onboarding-step-failed.v1', gamma.tenantId))[0] && events<OnboardingStepFailedV1>('onboarding-step-failed.v1', gamma.tenantId));
    expect(failed.data).toMatchObject({ tenantId: gamma.tenantId, siteId: site.id, step: 'configure-svm', code: 'VSERVER_NOT_FOUND', retryable: true, attempt: 1 });
    expect(await events('svm-configured.v1', gamma.tenantId)).toHaveLength(0);
    const folder = tenantFolder('Gamma GmbH');
    expect(policiesIn(folder.id)).toHaveLength(0);
    expect((await request(svc.url).get(`/v1/svm-configs/${gamma.tenantId}`).set(await authHeaders()).expect(200)).body).toMatchObject({ status: 'failed', errorCode: 'VSERVER_NOT_FOUND', retryable: true });

    // The fix: the vAS is back. Meanwhile someone left a policy with our name but wrong, unlocked settings.
    site.ksc.vservers.set(vsId, vs);
    const drifted = site.ksc.addPolicy(0, {
      groupId: folder.id,
      name: 'TPO Light Agent - Gamma GmbH',
      productName: 'KSVLA',
      productVersion: '6.2.0.0',
      active: false,
      locked: ['ProviderLock'],
      settings: { [LA.discovery]: 'CustomList', [LA.isAddress]: '10.9.9.9', ProviderTweak: 'keep' },
    });
    const retry: OnboardingRetryRequestedV1 = { tenantId: gamma.tenantId, step: 'configure-svm', attempt: 2 };
    await clientFor(nc, messaging).publishEvent(OnboardingRetryRequested, envelope(OnboardingRetryRequested.type, retry));

    const [configured] = await eventually(async () => (await events<SvmConfiguredV1>('svm-configured.v1', gamma.tenantId))[0] && events<SvmConfiguredV1>('svm-configured.v1', gamma.tenantId));
    expect(configured.data).toMatchObject({ virtualServerName: vs.dn, applied: { connectionTags: ['gamma'], integrationServerAddress: '127.0.0.1' } });
    const [la, ...more] = policiesIn(folder.id);
    expect(more).toHaveLength(0);
    expect(la.id).toBe(drifted.id);
    expect(la.active).toBe(true);
    expect(la.settings).toMatchObject({ [LA.discovery]: 'IntegrationServer', [LA.isAddress]: '127.0.0.1', [LA.isPort]: 7271, [LA.tags]: ['gamma'], ProviderTweak: 'keep' });
    expect([...la.locked].sort()).toEqual(['ProviderLock', ...Object.values(LA)].sort());
    const res = await request(svc.url).get(`/v1/svm-configs/${gamma.tenantId}`).set(await authHeaders()).expect(200);
    expect(res.body).toMatchObject({ status: 'succeeded', attempt: 2, errorCode: null, output: { changes: { lightAgentPolicy: 'updated' } } });
  });

  it('a tenant folder missing on the main server fails the step with TENANT_FOLDER_NOT_FOUND (retryable)', async () => {
    const ghost: TenantCreatedV1 = { ...acme, tenantId: randomUUID(), orderId: 'order-ghost', tenantName: 'Ghost Tenant' };
    await publishCreated(ghost);
    const [failed] = await eventually(async () => (await events<OnboardingStepFailedV1>('onboarding-step-failed.v1', ghost.tenantId))[0] && events<OnboardingStepFailedV1>('onboarding-step-failed.v1', ghost.tenantId));
    expect(failed.data).toMatchObject({ step: 'configure-svm', code: 'TENANT_FOLDER_NOT_FOUND', retryable: true, attempt: 1 });
    expect([...site.ksc.policies.values()].filter((p) => p.name.includes('Ghost'))).toHaveLength(0);
  });
});
