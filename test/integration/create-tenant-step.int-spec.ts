import { randomBytes, randomUUID } from 'node:crypto';
import { OnboardingRequest, OnboardingStepFailed, TenantCreated } from '@tpo/contracts';
import { CreateTenantRequest, IntegrationServerError, IsTask, IsTenant } from '@tpo/integration-server-client';
import { JobEnqueuer, JobRepository, JobRunner } from '@tpo/jobs';
import { OutboxRepository, OutboxWriter } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { createLogger } from '@tpo/platform';
import { EnvelopeCipher, SealedSecret } from '@tpo/secrets';
import { KasperskyClients } from '@tpo/site-directory';
import { DataSource, Logger as TypeOrmLogger } from 'typeorm';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's env type
import { TenantServiceEnv } from '../../apps/tenant-service/src/config/tenant-service.env';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's repositories and use cases, run in-process against the real database
import { OnboardOperation } from '../../apps/tenant-service/src/operations/onboard-operation';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { OperationRepository } from '../../apps/tenant-service/src/operations/operation.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { TenantVmRepository } from '../../apps/tenant-service/src/operations/tenant-vm.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { SiteRepository } from '../../apps/tenant-service/src/sites/site.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { CreateTenantStepRepository } from '../../apps/tenant-service/src/tenants/create-tenant-step.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { TenantSecretRepository } from '../../apps/tenant-service/src/tenants/tenant-secret.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { TenantTimelineRepository } from '../../apps/tenant-service/src/tenants/tenant-timeline.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { TenantRepository } from '../../apps/tenant-service/src/tenants/tenant.repository';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { CreateTenantJob, secretAad } from '../../apps/tenant-service/src/tenants/use-cases/create-tenant.job';
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above
import { RequestOnboardingUseCase } from '../../apps/tenant-service/src/tenants/use-cases/request-onboarding.use-case';
import { eventually, sql } from '../support/harness';
import { claimedTwice, testRunnerOptions } from '../support/job-fixtures';
import { serviceLayout, testDatabaseUrl } from '../support/test-env';

const SERVICE = 'tenant-service';
const SITE = 'create-step-site';
const KIND = 'create-tenant';
const LEASE_MS = 3000;

/** The statements sent through TypeORM, with the time they were sent. */
class StatementLog implements TypeOrmLogger {
  readonly statements: { at: number; text: string }[] = [];
  logQuery(query: string): void {
    this.statements.push({ at: Date.now(), text: query.replace(/\s+/g, ' ').trim() });
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
  /** What was sent from `from` on, without the runner's own claims and lease renewals. */
  since(from: number): string[] {
    return this.statements
      .slice(from)
      .map((s) => s.text)
      .filter((t) => !t.startsWith('WITH claimed AS') && !t.startsWith('UPDATE job SET lease_until'));
  }
}

/** An Integration Server in memory: CreateTenant completes at once, or is refused with a vendor code. */
class FakeIntegrationServer {
  readonly tenants: IsTenant[] = [];
  readonly tasks: IsTask[] = [];
  readonly calls: CreateTenantRequest[] = [];
  readonly refuse = new Set<string>();

  async listTenants(): Promise<IsTenant[]> {
    return [...this.tenants];
  }
  async listTasks(): Promise<IsTask[]> {
    return [...this.tasks];
  }
  async createTenant(req: CreateTenantRequest): Promise<{ taskId: string }> {
    if (this.refuse.has(req.name))
      throw IntegrationServerError.fromResponse(
        400,
        '<error><code>VIRMT_InvalidTenantType</code><message>bad tenant type</message></error>',
        'CreateTenant',
      );
    this.calls.push(req);
    const tenant = { id: randomUUID(), name: req.name, userData: req.userData, vKsc: { id: '17' } };
    this.tenants.push(tenant);
    const task: IsTask = { id: randomUUID(), type: 'CreateTenant', state: 'Completed', result: { tenant } };
    this.tasks.push(task);
    return { taskId: task.id };
  }
  async waitForTask(taskId: string): Promise<IsTask> {
    return this.tasks.find((t) => t.id === taskId)!;
  }
}

/**
 * tenant-service's step 1 (CreateTenantJob) against the real database: the create job from the
 * intake is inserted claimed and handed to the local runner after the commit; the sealed password
 * with the intent, the task id and the step's end (tenant, timeline, operation, event, job) are one
 * fenced statement each; a stale holder writes nothing; a crash before the hand-over is recovered
 * by the lease's expiry.
 */
describe("tenant-service's create step in fewer statements (real Postgres)", () => {
  let ds: DataSource;
  let uow: UnitOfWork;
  let jobs: JobRepository;
  let runner: JobRunner;
  let intake: RequestOnboardingUseCase;
  let tenants: TenantRepository;
  let steps: CreateTenantStepRepository;
  let timeline: TenantTimelineRepository;
  let secrets: TenantSecretRepository;
  let outbox: OutboxWriter;
  const log = new StatementLog();
  const server = new FakeIntegrationServer();
  const cipher = new EnvelopeCipher(new Map([['k1', randomBytes(32)]]), 'k1');
  /** Job ids the runner's claim statement returned: a handed-over job never shows here. */
  const claimed: string[] = [];

  beforeAll(async () => {
    // Nothing left by other specs for this runner's kind (it would run them against the fake server).
    await sql(SERVICE, `DELETE FROM job WHERE kind = $1`, [KIND]);
    await sql(
      SERVICE,
      `INSERT INTO site (id, name, enabled, max_virtual_servers, connection, credentials, source)
       VALUES ($1, $1, false, 100, '{}'::jsonb, '{}'::jsonb, 'api') ON CONFLICT (id) DO NOTHING`,
      [SITE],
    );
    ds = await new DataSource({
      type: 'postgres',
      url: testDatabaseUrl(SERVICE),
      logging: ['query'],
      logger: log,
    }).initialize();
    uow = new UnitOfWork(ds);
    jobs = new JobRepository(uow);
    const claimDue = jobs.claimDue.bind(jobs);
    jest.spyOn(jobs, 'claimDue').mockImplementation(async (...args) => {
      const r = await claimDue(...args);
      claimed.push(...r.jobs.map((j) => j.id));
      return r;
    });
    tenants = new TenantRepository(uow);
    timeline = new TenantTimelineRepository(uow);
    secrets = new TenantSecretRepository(uow);
    outbox = new OutboxWriter(SERVICE, uow, new OutboxRepository(uow));
    const onboard = new OnboardOperation(new OperationRepository(uow), tenants);
    steps = new CreateTenantStepRepository(tenants, timeline, onboard);
    const logger = createLogger('create-step-test', 'silent');
    runner = new JobRunner(jobs, uow, logger, {
      ...testRunnerOptions(SERVICE, serviceLayout(SERVICE).schema),
      leaseMs: LEASE_MS,
      idlePollMs: 500,
    });
    runner.register(
      new CreateTenantJob(
        steps,
        outbox,
        logger,
        uow,
        timeline,
        secrets,
        { setKscConfigured: async () => undefined } as unknown as SiteRepository,
        cipher,
        { integrationServer: async () => ({ client: server }) } as unknown as KasperskyClients,
        { CREATE_TASK_DEADLINE_MS: 5000, CREATE_INTENT_CLOCK_SKEW_MS: 0 } as TenantServiceEnv,
      ),
    );
    // Placement reads only: the site row exists (disabled, never a candidate of other specs' intakes).
    const sites = {
      lockEligibleWithUsage: async () => [{ site: { id: SITE, maxVirtualServers: 100 }, placed: 0, foreign: 0 }],
      ids: async () => [SITE],
    } as unknown as SiteRepository;
    intake = new RequestOnboardingUseCase(
      uow,
      tenants,
      sites,
      new JobEnqueuer(jobs, runner, uow),
      onboard,
      new TenantVmRepository(uow),
    );
    await runner.start();
  });

  afterAll(async () => {
    await runner?.stop();
    await sql(SERVICE, `DELETE FROM outbox WHERE tenant_id IN (SELECT id FROM tenant WHERE site_id = $1)`, [SITE]);
    await sql(SERVICE, `DELETE FROM job WHERE kind = $1`, [KIND]);
    await sql(SERVICE, `DELETE FROM tenant WHERE site_id = $1`, [SITE]);
    await sql(SERVICE, `DELETE FROM site WHERE id = $1`, [SITE]);
    await ds?.destroy();
  });

  const order = (name = `Create ${randomUUID().slice(0, 8)}`): OnboardingRequest =>
    ({
      orderId: `create-step-${randomUUID()}`,
      tenantName: name,
      adminAccountName: `cs-${randomUUID().slice(0, 8)}`,
      vms: [{ biosUuid: randomUUID(), name: 'vm1', osFamily: 'linux', address: '10.0.0.1' }],
    }) as OnboardingRequest;

  const jobOf = async (tenantId: string) =>
    (
      await sql<{ id: string; status: string; fence: string; tries: number; last_error: string | null }>(
        SERVICE,
        `SELECT id, status, fence, tries, last_error FROM job WHERE kind = $1 AND key = $2`,
        [KIND, tenantId],
      )
    )[0];
  const tenantOf = async (tenantId: string) =>
    (await sql<Record<string, unknown>>(SERVICE, `SELECT * FROM tenant WHERE id = $1`, [tenantId]))[0];
  const timelineOf = async (tenantId: string) =>
    Object.fromEntries(
      (await sql<Record<string, unknown>>(SERVICE, `SELECT * FROM tenant_step WHERE tenant_id = $1`, [tenantId])).map(
        (r) => [r.step as string, r],
      ),
    );
  const outboxOf = (tenantId: string) =>
    sql<{ type: string; data: Record<string, unknown> }>(
      SERVICE,
      `SELECT envelope->>'type' AS type, envelope->'data' AS data FROM outbox WHERE tenant_id = $1 ORDER BY seq`,
      [tenantId],
    );
  const operationOf = async (tenantId: string) =>
    (
      await sql<{ state: string; error_code: string | null }>(
        SERVICE,
        `SELECT state, error_code FROM operation WHERE tenant_id = $1 AND kind = 'onboard'`,
        [tenantId],
      )
    )[0];

  it('the intake inserts the create job claimed and hands it over after the commit; step 1 runs in 5 statements, none in a transaction', async () => {
    const request = order();
    const from = log.statements.length;
    const { tenant } = await intake.execute(request, { requester: 'order:rest' });
    await eventually(async () => (await jobOf(tenant.id))?.status === 'succeeded', 10_000);
    // The job starts once the intake's transaction committed.
    const all = log.since(from);
    const sent = all.slice(all.indexOf('COMMIT') + 1);

    // The intake (placement reads faked here): its reads in one statement, the tenant, its timeline,
    // the onboard operation, its VMs and the job in another.
    const intakeSent = all.slice(0, all.indexOf('COMMIT') + 1);
    expect(intakeSent).toHaveLength(4);
    expect(intakeSent[2]).toMatch(/^WITH t AS \(.*operation AS \(.*vms AS \(.*job AS \(/);
    expect(await sql(SERVICE, `SELECT name, state FROM tenant_vm WHERE tenant_id = $1`, [tenant.id])).toEqual([
      { name: 'vm1', state: 'active' },
    ]);

    const job = await jobOf(tenant.id);
    expect(job).toMatchObject({ fence: '1', tries: 1 });
    expect(claimed).not.toContain(job.id);
    // The step record and the secret (reads), the secret with the intent, the task id, the end.
    expect(sent).toHaveLength(5);
    expect(sent.filter((t) => t === 'START TRANSACTION' || t === 'COMMIT')).toEqual([]);

    const row = await tenantOf(tenant.id);
    expect(row).toMatchObject({
      status: 'onboarding',
      lifecycle: 'onboarding',
      current_step: 'configure-svm',
      is_tenant_id: server.tenants.at(-1)!.id,
      virtual_server_id: '17',
      create_task_id: server.tasks.at(-1)!.id,
      failure: null,
    });
    expect(row.create_intent_at).not.toBeNull();
    const steps1 = await timelineOf(tenant.id);
    expect(steps1['create-tenant']).toMatchObject({
      status: 'succeeded',
      external_task_ids: [server.tasks.at(-1)!.id],
      details: { integrationServerTenantId: server.tenants.at(-1)!.id, virtualServerId: '17' },
    });
    expect(steps1['configure-svm']).toMatchObject({ status: 'running' });
    const [secret] = await sql<{ sealed: SealedSecret }>(
      SERVICE,
      `SELECT sealed FROM tenant_secret WHERE tenant_id = $1`,
      [tenant.id],
    );
    expect(cipher.open(secret.sealed, secretAad(tenant.id))).toBe(server.calls.at(-1)!.vKsc?.password);
    const events = await outboxOf(tenant.id);
    expect(events.map((e) => e.type)).toEqual([TenantCreated.type]);
    expect(events[0].data).toMatchObject({ tenantId: tenant.id, orderId: request.orderId, virtualServerId: '17' });
    expect(await operationOf(tenant.id)).toMatchObject({ state: 'running' });
  });

  it('a known order, a taken name and a lost race write nothing more: no second job, the reserved slots given back', async () => {
    const request = order();
    const { tenant } = await intake.execute(request, { requester: 'order:rest' });
    await eventually(async () => (await jobOf(tenant.id))?.status === 'succeeded', 10_000);
    await eventually(async () => runner.activeCount === 0);

    expect(await intake.execute(request, { requester: 'order:rest' })).toMatchObject({
      outcome: 'duplicate',
      tenant: { id: tenant.id },
    });
    await expect(
      intake.execute({ ...order(), tenantName: request.tenantName }, { requester: 'order:rest' }),
    ).rejects.toMatchObject({ code: 'TENANT_NAME_TAKEN' });
    // Two concurrent intakes of one new order: one tenant, one job, one onboard operation.
    const again = order();
    const outcomes = await Promise.all([
      intake.execute(again, { requester: 'order:rest' }),
      intake.execute(again, { requester: 'order:rest' }),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['accepted', 'duplicate']);
    expect(outcomes[0].tenant.id).toBe(outcomes[1].tenant.id);
    await eventually(async () => (await jobOf(outcomes[0].tenant.id))?.status === 'succeeded', 10_000);
    expect(
      await sql(SERVICE, `SELECT count(*)::int AS n FROM job WHERE kind = $1 AND key = $2`, [KIND, tenant.id]),
    ).toEqual([{ n: 1 }]);
    expect(
      await sql(SERVICE, `SELECT count(*)::int AS n FROM operation WHERE tenant_id = $1`, [outcomes[0].tenant.id]),
    ).toEqual([{ n: 1 }]);
    // The chained insert fails after the job's slot was reserved: nothing written, the slot given back.
    jest.spyOn(tenants, 'insertWith').mockImplementationOnce(async (_t, links) => {
      links('t');
      throw new Error('the statement failed');
    });
    const failed = order();
    await expect(intake.execute(failed, { requester: 'order:rest' })).rejects.toThrow('the statement failed');
    expect(await sql(SERVICE, `SELECT 1 FROM tenant WHERE order_id = $1`, [failed.orderId])).toEqual([]);
    // Every reservation was either run or given back: the runner's two slots take two hand-overs at once.
    await eventually(async () => runner.activeCount === 0);
    const pair = await Promise.all([
      intake.execute(order(), { requester: 'order:rest' }),
      intake.execute(order(), { requester: 'order:rest' }),
    ]);
    for (const { tenant: t } of pair) {
      await eventually(async () => (await jobOf(t.id))?.status === 'succeeded', 10_000);
      const job = await jobOf(t.id);
      expect(job).toMatchObject({ fence: '1', tries: 1 });
      expect(claimed).not.toContain(job.id);
    }
  });

  it('a permanent failure ends step 1 in one statement: tenant, lifecycle, timeline (attempt kept), operation, event, job', async () => {
    const request = order();
    server.refuse.add(request.tenantName);
    const from = log.statements.length;
    // The timeline row as a retry leaves it (attempt 2), in the intake's transaction: the job is
    // handed over after that commit.
    const tenant = await uow.run(async () => {
      const { tenant: t } = await intake.execute(request, { requester: 'order:rest' });
      await uow
        .manager()
        .query(`UPDATE tenant_step SET attempt = 2 WHERE tenant_id = $1 AND step = 'create-tenant'`, [t.id]);
      return t;
    });
    await eventually(async () => (await jobOf(tenant.id))?.status === 'failed', 10_000);
    const all = log.since(from);
    const sent = all.slice(all.indexOf('COMMIT') + 1);

    // The step record and the secret (reads), the secret with the intent, the end.
    expect(sent).toHaveLength(4);
    expect(sent.filter((t) => t === 'START TRANSACTION' || t === 'COMMIT')).toEqual([]);
    expect(await jobOf(tenant.id)).toMatchObject({ last_error: expect.stringContaining('VIRMT_InvalidTenantType') });
    expect(await tenantOf(tenant.id)).toMatchObject({
      status: 'failed',
      lifecycle: 'failed',
      current_step: 'create-tenant',
      failure: { step: 'create-tenant', code: 'VIRMT_InvalidTenantType', retryable: false },
      // Refused at the call: no task exists, a retry creates again.
      create_task_id: null,
      create_intent_at: null,
    });
    expect((await timelineOf(tenant.id))['create-tenant']).toMatchObject({
      status: 'failed',
      attempt: 2,
      error_code: 'VIRMT_InvalidTenantType',
      retryable: false,
    });
    expect(await operationOf(tenant.id)).toEqual({ state: 'failed', error_code: 'VIRMT_InvalidTenantType' });
    const events = await outboxOf(tenant.id);
    expect(events.map((e) => e.type)).toEqual([OnboardingStepFailed.type]);
    expect(events[0].data).toMatchObject({ step: 'create-tenant', code: 'VIRMT_InvalidTenantType', attempt: 2 });
  });

  it("a stale holder's intent, task id and end write nothing; the current holder's intent with its secret is one statement", async () => {
    // A tenant as the intake leaves it, without a job; its job is claimed twice by hand (another kind).
    const request = order();
    const tenant = { id: randomUUID() };
    await uow.run(async () => {
      await new TenantRepository(uow).insert({
        id: tenant.id,
        orderId: request.orderId,
        name: request.tenantName,
        adminAccountName: request.adminAccountName,
        siteId: SITE,
        request,
      });
      await new OnboardOperation(new OperationRepository(uow), new TenantRepository(uow)).started(
        tenant.id,
        request.orderId,
        'order:test',
      );
    });
    const { stale, current } = await claimedTwice(uow, 'create-tenant-fenced', tenant.id, { tenantId: tenant.id });
    const sealed = cipher.seal('secret-1', secretAad(tenant.id));
    const intent = () => [
      secrets.insertStatement(tenant.id, sealed),
      timeline.createIntentStatement(tenant.id, new Date()),
    ];
    const output = { integrationServerTenantId: randomUUID(), virtualServerId: '17' };
    const end = () => [
      ...steps.succeedStatement(tenant.id, 'create-tenant', output),
      outbox.emitStatement([
        {
          definition: TenantCreated,
          data: {
            tenantId: tenant.id,
            siteId: SITE,
            orderId: request.orderId,
            tenantName: request.tenantName,
            integrationServerTenantId: output.integrationServerTenantId,
            virtualServerId: '17',
            adminAccountName: request.adminAccountName,
            vms: request.vms,
          },
          options: { tenantId: tenant.id },
        },
      ]),
    ];

    expect(await jobs.writeFenced(stale, intent())).toEqual({ held: false, written: 0 });
    expect(await jobs.writeFenced(stale, timeline.createTaskStatements(tenant.id, 'task-1'))).toEqual({
      held: false,
      written: 0,
    });
    expect(await jobs.endFenced(stale, { status: 'succeeded' }, end())).toBe(false);
    expect(await tenantOf(tenant.id)).toMatchObject({
      current_step: 'create-tenant',
      create_intent_at: null,
      create_task_id: null,
      is_tenant_id: null,
    });
    expect(await sql(SERVICE, `SELECT 1 FROM tenant_secret WHERE tenant_id = $1`, [tenant.id])).toEqual([]);
    expect((await timelineOf(tenant.id))['create-tenant']).toMatchObject({
      status: 'running',
      external_task_ids: [],
    });
    expect(await outboxOf(tenant.id)).toEqual([]);

    const from = log.statements.length;
    expect(await jobs.writeFenced(current, intent())).toEqual({ held: true, written: 2 });
    expect(await jobs.writeFenced(current, timeline.createTaskStatements(tenant.id, 'task-1'))).toEqual({
      held: true,
      written: 2,
    });
    // Once: the task id is not appended twice to the timeline.
    expect(await jobs.writeFenced(current, timeline.createTaskStatements(tenant.id, 'task-1'))).toEqual({
      held: true,
      written: 1,
    });
    expect(await jobs.endFenced(current, { status: 'succeeded' }, end())).toBe(true);
    expect(log.since(from)).toHaveLength(4);
    expect(await tenantOf(tenant.id)).toMatchObject({ current_step: 'configure-svm', create_task_id: 'task-1' });
    expect((await timelineOf(tenant.id))['create-tenant']).toMatchObject({
      status: 'succeeded',
      external_task_ids: ['task-1'],
    });
    expect((await outboxOf(tenant.id)).map((e) => e.type)).toEqual([TenantCreated.type]);
    const [stored] = await sql<{ sealed: SealedSecret }>(
      SERVICE,
      `SELECT sealed FROM tenant_secret WHERE tenant_id = $1`,
      [tenant.id],
    );
    expect(cipher.open(stored.sealed, secretAad(tenant.id))).toBe('secret-1');
    await sql(SERVICE, `DELETE FROM job WHERE kind = 'create-tenant-fenced'`);
  });

  it('a crash after the intake committed, before the hand-over, is recovered once the lease expires (fence 2)', async () => {
    // The process "dies" right after the commit: the hand-over never happens (its slot is given back).
    const reserve = runner.reserve.bind(runner);
    jest.spyOn(runner, 'reserve').mockImplementationOnce((kind, siteId) => {
      const slot = reserve(kind, siteId);
      return slot && { leaseMs: slot.leaseMs, start: () => slot.cancel(), cancel: () => slot.cancel() };
    });
    const committed = Date.now();
    const { tenant } = await intake.execute(order(), { requester: 'order:rest' });
    const orphan = await jobOf(tenant.id);
    expect(orphan).toMatchObject({ status: 'running', fence: '1', tries: 1 });

    await eventually(async () => (await jobOf(tenant.id))?.status === 'succeeded', 15_000, 100);
    const done = await jobOf(tenant.id);
    expect(done).toMatchObject({ fence: '2', tries: 2 });
    expect(claimed).toContain(done.id);
    expect(Date.now() - committed).toBeGreaterThanOrEqual(LEASE_MS - 500);
    expect(await tenantOf(tenant.id)).toMatchObject({ current_step: 'configure-svm' });
    expect((await outboxOf(tenant.id)).map((e) => e.type)).toEqual([TenantCreated.type]);
  }, 30_000);
});
