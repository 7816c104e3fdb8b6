import { randomUUID } from 'node:crypto';
import { VmsRegisteredV1 } from '@tpo/contracts';
import { OutboxRepository, OutboxWriter } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { createLogger } from '@tpo/platform';
import { FencedQuery, FencedStatement, Job, JobContext, JobOutcome } from '@tpo/jobs';
import { StepWorkRepository } from '@tpo/steps';
import type { LicenseKeyInfo } from '@tpo/ksc-client';
import { KasperskyClients } from '@tpo/site-directory';
import { DataSource } from 'typeorm';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's step job, run in-process against the real database
import { ActivateTenantJob } from '../../apps/activation-service/src/activation/activate-tenant.job';
// eslint-disable-next-line @nx/enforce-module-boundaries -- its env type
import { ActivationServiceEnv } from '../../apps/activation-service/src/config/activation-service.env';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's licence numbers (keys + configured limits)
import { effectiveLicense } from '../../apps/activation-service/src/licensing/license-numbers';
// eslint-disable-next-line @nx/enforce-module-boundaries -- its reader's type
import { SiteLicenseReader } from '../../apps/activation-service/src/licensing/site-license.reader';
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

  /** Two activations of one VM each, run at once against `license` (configured) and `keys` (the main server's live keys). */
  async function raceTwoActivations(license: { maxVms?: number }, keys: LicenseKeyInfo[]) {
    await resetSchema(SERVICE, ['outbox', 'job', 'step_vm', 'step_work']);
    const uow = new UnitOfWork(ds);
    const steps = new StepWorkRepository(uow);
    const activated: string[] = [];
    // The Integration Server side: activation calls are counted.
    const client = {
      activateTenant: async (id: string) => (activated.push(id), { taskId: randomUUID() }),
      waitForTask: async () => ({ id: 't', state: 'Completed' }),
      getTenant: async () => ({ id: 'x', status: 'Active' }),
    };
    const clients = {
      integrationServer: async () => ({ site: { id: 'site-1', license }, client }),
    } as unknown as KasperskyClients;
    // Live numbers as SiteLicenseReader gives them (here without a KSC: the keys are given).
    const reader = {
      read: async () => ({ keys, effective: effectiveLicense(license, keys), readAt: new Date() }),
    } as unknown as SiteLicenseReader;
    const job = new ActivateTenantJob(
      steps,
      new OutboxWriter(SERVICE, uow, new OutboxRepository(uow)),
      createLogger('license-test', 'silent'),
      clients,
      { ACTIVATION_TASK_DEADLINE_MS: 10_000 } as ActivationServiceEnv,
      reader,
    );
    // Already protected on the site: 4 VMs of another tenant.
    const other = randomUUID();
    await uow.run(async () => {
      await steps.create(other, 'activate', 'site-1', {
        tenantId: other,
        siteId: 'site-1',
        integrationServerTenantId: 'is-x',
        succeeded: [],
        failed: [],
      });
      await steps.succeed(other, 'activate', { activeVms: 4 });
    });
    const tenants = [randomUUID(), randomUUID()];
    for (const [i, tenantId] of tenants.entries()) {
      const input: VmsRegisteredV1 = {
        tenantId,
        siteId: 'site-1',
        integrationServerTenantId: `is-${i}`,
        succeeded: [{ biosUuid: randomUUID(), name: `vm-${i}` }],
        failed: [],
      };
      await uow.run(() => steps.create(tenantId, 'activate', 'site-1', input));
    }
    const settled: JobOutcome = { settled: true };
    const unfenced = (statements: FencedStatement[]) =>
      uow.run(async () => {
        for (const st of statements) await uow.manager().query(st.text('TRUE'), st.params);
      });
    const ctxOf = (tenantId: string): JobContext<{ tenantId: string }> => ({
      job: { id: randomUUID(), payload: { tenantId } } as Job<{ tenantId: string }>,
      signal: new AbortController().signal,
      record: (w) => uow.run(w),
      // No job row here (the lease itself is not under test): the statement runs unfenced.
      write: async (statement) => {
        let written = 0;
        for (const st of [statement].flat()) {
          const r: unknown = await uow.manager().query(st.text('TRUE'), st.params);
          written += Array.isArray(r) ? Number(r[1] ?? 0) : 0;
        }
        return written;
      },
      query: async <R extends Record<string, unknown>>(q: FencedQuery) =>
        (await uow.manager().query(`WITH ${q.ctes('TRUE')} ${q.select}`, q.params)) as R[],
      succeed: async (w) => (await uow.run(async () => void (await w?.())), settled),
      fail: async (_e, w) => (await uow.run(async () => void (await w?.())), settled),
      succeedWith: async (statements) => (await unfenced(statements), settled),
      failWith: async (_e, statements) => (await unfenced(statements), settled),
    });
    await Promise.all(tenants.map((t) => job.run(ctxOf(t))));
    const rows = await sql<{ status: string; error_code: string | null }>(
      SERVICE,
      `SELECT status, error_code FROM step_work WHERE step = 'activate' AND tenant_id = ANY($1) ORDER BY status`,
      [tenants],
    );
    return { rows, activated };
  }

  it('two concurrent activations with one license left (site configuration): exactly one is activated, the other is held with LICENSE_CAPACITY_EXCEEDED', async () => {
    const { rows, activated } = await raceTwoActivations({ maxVms: 5 }, []);
    expect(rows).toEqual([
      { status: 'failed', error_code: 'LICENSE_CAPACITY_EXCEEDED' },
      { status: 'succeeded', error_code: null },
    ]);
    expect(activated).toHaveLength(1);
  });

  it('issue 10: the same with the limit from the live keys (KLLIC_LIC_COUNT of the valid keys; an expired key does not count)', async () => {
    const keys: LicenseKeyInfo[] = [
      {
        serial: 'A',
        productName: 'Kaspersky Security for Virtualization Light Agent',
        limit: 5,
        expiresAt: new Date(Date.now() + 86_400_000),
        raw: {},
      },
      {
        serial: 'OLD',
        productName: 'Kaspersky Security for Virtualization Light Agent',
        limit: 100,
        expiresAt: new Date(Date.now() - 86_400_000),
        raw: {},
      },
    ];
    const { rows, activated } = await raceTwoActivations({ maxVms: 1_000_000 }, keys);
    expect(rows).toEqual([
      { status: 'failed', error_code: 'LICENSE_CAPACITY_EXCEEDED' },
      { status: 'succeeded', error_code: null },
    ]);
    expect(activated).toHaveLength(1);
  });
});
