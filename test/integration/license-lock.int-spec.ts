import { randomUUID } from 'node:crypto';
import { VmsRegisteredV1 } from '@tpo/contracts';
import { OutboxRepository, OutboxWriter } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { createLogger } from '@tpo/platform';
import { Job, JobContext, JobOutcome, StepWorkRepository } from '@tpo/service-kit';
import { KasperskyClients } from '@tpo/site-directory';
import { DataSource } from 'typeorm';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's step job, run in-process against the real database
import { ActivateTenantJob } from '../../apps/activation-service/src/activation/activate-tenant.job';
// eslint-disable-next-line @nx/enforce-module-boundaries -- its env type
import { ActivationServiceEnv } from '../../apps/activation-service/src/config/activation-service.env';
import { resetSchema, sql } from '../support/harness';
import { testDatabaseUrl } from '../support/test-env';

const SERVICE = 'activation-service';

describe('licenses taken under a per-site lock at activation (real Postgres, issue 9)', () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = await new DataSource({ type: 'postgres', url: testDatabaseUrl(SERVICE) }).initialize();
    await resetSchema(SERVICE, ['outbox', 'job', 'step_vm', 'step_work']);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it('two concurrent activations with one license left: exactly one is activated, the other is held with LICENSE_CAPACITY_EXCEEDED', async () => {
    const uow = new UnitOfWork(ds);
    const steps = new StepWorkRepository(uow);
    const activated: string[] = [];
    // The Integration Server side: activation calls are counted; the license covers one VM on the site.
    const client = {
      activateTenant: async (id: string) => (activated.push(id), { taskId: randomUUID() }),
      waitForTask: async () => ({ id: 't', state: 'Completed' }),
      getTenant: async () => ({ id: 'x', status: 'Active' }),
    };
    const clients = { integrationServer: async () => ({ site: { id: 'site-1', license: { maxVms: 1 } }, client }) } as unknown as KasperskyClients;
    const job = new ActivateTenantJob(steps, new OutboxWriter(SERVICE, uow, new OutboxRepository(uow)), createLogger('license-test', 'silent'), clients, {
      ACTIVATION_TASK_DEADLINE_MS: 10_000,
    } as ActivationServiceEnv);
    const tenants = [randomUUID(), randomUUID()];
    for (const [i, tenantId] of tenants.entries()) {
      const input: VmsRegisteredV1 = { tenantId, siteId: 'site-1', integrationServerTenantId: `is-${i}`, succeeded: [{ biosUuid: randomUUID(), name: `vm-${i}` }], failed: [] };
      await uow.run(() => steps.create(tenantId, 'activate', 'site-1', input));
    }
    const settled: JobOutcome = { settled: true };
    const ctxOf = (tenantId: string): JobContext<{ tenantId: string }> => ({
      job: { id: randomUUID(), payload: { tenantId } } as Job<{ tenantId: string }>,
      signal: new AbortController().signal,
      record: (w) => uow.run(w),
      succeed: async (w) => (await uow.run(async () => void (await w?.())), settled),
      fail: async (_e, w) => (await uow.run(async () => void (await w?.())), settled),
    });
    await Promise.all(tenants.map((t) => job.run(ctxOf(t))));
    const rows = await sql<{ status: string; error_code: string | null }>(SERVICE, `SELECT status, error_code FROM step_work WHERE step = 'activate' ORDER BY status`);
    expect(rows).toEqual([
      { status: 'failed', error_code: 'LICENSE_CAPACITY_EXCEEDED' },
      { status: 'succeeded', error_code: null },
    ]);
    expect(activated).toHaveLength(1);
  });
});
