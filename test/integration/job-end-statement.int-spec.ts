import { randomUUID } from 'node:crypto';
import { OnboardingStepFailed, VmsRegistered } from '@tpo/contracts';
import { JobRepository, JobRunner } from '@tpo/jobs';
import { OutboxRepository, OutboxWriter } from '@tpo/messaging';
import { createLogger, DomainError, RequestContext } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { OnboardingStepJob, StepJobScope, StepResult, StepWork, StepWorkRepository } from '@tpo/steps';
import { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import { eventually, sql } from '../support/harness';
import { claimedTwice, testRunnerOptions } from '../support/job-fixtures';
import { testDatabaseUrl } from '../support/test-env';

const SERVICE = 'registration-service';
const STEP = 'register-vms' as const;
const SITE = 'site-1';

/** Counts the statements sent through TypeORM while `counting` is on. */
class StatementCounter implements TypeOrmLogger {
  counting = false;
  readonly statements: string[] = [];
  logQuery(query: string): void {
    if (this.counting) this.statements.push(query.replace(/\s+/g, ' ').slice(0, 60));
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

const registered = (tenantId: string) => ({
  tenantId,
  siteId: SITE,
  integrationServerTenantId: randomUUID(),
  succeeded: [{ biosUuid: randomUUID(), name: 'vm-1' }],
  failed: [],
});

/** A register-vms step whose outcome the test decides. */
class ProbeStep extends OnboardingStepJob<{ n: number }> {
  readonly step = STEP;
  outcome: 'ok' | 'permanent' | 'none-registered' = 'ok';
  /** A VM outcome the step writes with its end (StepResult.alsoWrite), when set. */
  vmOutcome?: { biosUuid: string; status: 'succeeded' | 'failed'; errorCode?: string };
  override get kind(): string {
    return 'job-end-probe';
  }
  protected async execute(work: StepWork<{ n: number }>, _s: AbortSignal, _j: StepJobScope): Promise<StepResult> {
    if (this.outcome === 'permanent') throw new DomainError('VIRMT_Probe', 'refused for good');
    const alsoWrite = this.vmOutcome ? [this.base.steps.setVmsStatement(work.tenantId, STEP, [this.vmOutcome])] : [];
    if (this.outcome === 'none-registered')
      return { ok: false, code: 'NO_VM_REGISTERED', message: 'none', retryable: true, alsoWrite };
    return {
      ok: true,
      output: { registered: 1 },
      event: { definition: VmsRegistered, payload: registered(work.tenantId) },
      alsoWrite,
    };
  }
}

describe("a step's end, its events and the job's end in one statement (real Postgres)", () => {
  let ds: DataSource;
  let uow: UnitOfWork;
  let steps: StepWorkRepository;
  let outbox: OutboxWriter;
  const counter = new StatementCounter();
  const runners: JobRunner[] = [];
  const logger = createLogger('job-end-test', 'silent');

  const vmOf = new Map<string, string>();
  const newStep = async () => {
    const tenantId = randomUUID();
    vmOf.set(tenantId, randomUUID());
    await uow.run(() =>
      steps.create(tenantId, STEP, SITE, { n: 1 }, [{ biosUuid: vmOf.get(tenantId)!, name: 'vm-1' }]),
    );
    return tenantId;
  };
  const vmRowOf = async (tenantId: string) =>
    (
      await sql<{ status: string; error_code: string | null }>(
        SERVICE,
        `SELECT status, error_code FROM step_vm WHERE tenant_id = $1 AND step = $2`,
        [tenantId, STEP],
      )
    )[0];
  const runProbe = async (configure: (probe: ProbeStep) => void, tenantId: string) => {
    const probe = new ProbeStep({ steps, outbox, logger });
    configure(probe);
    const runner = new JobRunner(new JobRepository(uow), uow, logger, testRunnerOptions(SERVICE, 'registration'));
    runner.register(probe);
    runners.push(runner);
    await uow.run(() => new JobRepository(uow).enqueue(probe.kind, tenantId, { tenantId }, SITE));
    await runner.start();
    await eventually(
      async () =>
        (await stepOf(tenantId)).status !== 'pending' && (await stepOf(tenantId)).status !== 'running'
          ? true
          : undefined,
      10_000,
    );
  };
  const outboxOf = (tenantId: string) =>
    sql<{ type: string; data: Record<string, unknown> }>(
      SERVICE,
      `SELECT envelope->>'type' AS type, envelope->'data' AS data FROM outbox WHERE tenant_id = $1 ORDER BY seq`,
      [tenantId],
    );
  const stepOf = async (tenantId: string) =>
    (
      await sql<{ status: string; output: unknown; error_code: string | null }>(
        SERVICE,
        `SELECT status, output, error_code FROM step_work WHERE tenant_id = $1 AND step = $2`,
        [tenantId, STEP],
      )
    )[0];

  beforeAll(async () => {
    ds = await new DataSource({
      type: 'postgres',
      url: testDatabaseUrl(SERVICE),
      logging: ['query'],
      logger: counter,
    }).initialize();
    uow = new UnitOfWork(ds);
    steps = new StepWorkRepository(uow);
    outbox = new OutboxWriter(SERVICE, uow, new OutboxRepository(uow));
  });

  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it("a stale holder's end writes nothing; the current holder's end, step and events commit as one statement, events in order", async () => {
    const tenantId = await newStep();
    const { stale, current, jobs } = await claimedTwice(uow, 'job-end-direct', tenantId, { tenantId });
    const work = () => [
      steps.succeedStatement(tenantId, STEP, { registered: 1 }),
      outbox.emitStatement([
        { definition: VmsRegistered, data: registered(tenantId), options: { tenantId } },
        {
          definition: OnboardingStepFailed,
          data: { tenantId, step: STEP, code: 'X', message: 'second', retryable: false, attempt: 1 },
          options: { tenantId },
        },
      ]),
    ];

    expect(await jobs.endFenced(stale, { status: 'succeeded' }, work())).toBe(false);
    expect(await stepOf(tenantId)).toMatchObject({ status: 'pending', output: null });
    expect(await outboxOf(tenantId)).toEqual([]);

    counter.statements.length = 0;
    counter.counting = true;
    expect(await jobs.endFenced(current, { status: 'succeeded' }, work())).toBe(true);
    counter.counting = false;
    expect(counter.statements).toHaveLength(1);

    expect(await stepOf(tenantId)).toMatchObject({ status: 'succeeded', output: { registered: 1 } });
    expect((await outboxOf(tenantId)).map((r) => r.type)).toEqual([VmsRegistered.type, OnboardingStepFailed.type]);
    const [job] = await sql<{ status: string; lease_until: Date | null }>(
      SERVICE,
      `SELECT status, lease_until FROM job WHERE id = $1`,
      [current.id],
    );
    expect(job).toEqual({ status: 'succeeded', lease_until: null });
    // Once ended, the job holds no lease: a second end (e.g. a duplicate run) writes nothing.
    expect(await jobs.endFenced(current, { status: 'failed', error: 'late' }, work())).toBe(false);
    expect(await outboxOf(tenantId)).toHaveLength(2);
  });

  it("a step's own last writes (its VMs' outcomes) commit in the same statement as its end, and not at all for a stale holder", async () => {
    const tenantId = await newStep();
    const { stale, current, jobs } = await claimedTwice(uow, 'job-end-vms', tenantId, { tenantId });
    const work = () => [
      steps.setVmsStatement(tenantId, STEP, [{ biosUuid: vmOf.get(tenantId)!, status: 'succeeded' }]),
      steps.succeedStatement(tenantId, STEP, { registered: 1 }),
    ];
    expect(await jobs.endFenced(stale, { status: 'succeeded' }, work())).toBe(false);
    expect(await vmRowOf(tenantId)).toEqual({ status: 'pending', error_code: null });

    counter.statements.length = 0;
    counter.counting = true;
    expect(await jobs.endFenced(current, { status: 'succeeded' }, work())).toBe(true);
    counter.counting = false;
    expect(counter.statements).toHaveLength(1);
    expect(await vmRowOf(tenantId)).toEqual({ status: 'succeeded', error_code: null });
    expect(await stepOf(tenantId)).toMatchObject({ status: 'succeeded' });
  });

  it("a step job's result carries its VMs' last outcomes into its end, whether it succeeds or fails", async () => {
    const ok = await newStep();
    await runProbe((p) => (p.vmOutcome = { biosUuid: vmOf.get(ok)!, status: 'succeeded' }), ok);
    expect(await stepOf(ok)).toMatchObject({ status: 'succeeded' });
    expect(await vmRowOf(ok)).toEqual({ status: 'succeeded', error_code: null });
    for (const r of runners.splice(0)) await r.stop(); // the next job is for the next probe's runner

    const none = await newStep();
    await runProbe((p) => {
      p.outcome = 'none-registered';
      p.vmOutcome = { biosUuid: vmOf.get(none)!, status: 'failed', errorCode: 'VIRMT_InvalidBiosId' };
    }, none);
    expect(await stepOf(none)).toMatchObject({ status: 'failed', error_code: 'NO_VM_REGISTERED' });
    expect(await vmRowOf(none)).toEqual({ status: 'failed', error_code: 'VIRMT_InvalidBiosId' });
  });

  it('a step job that succeeds ends with one statement: job succeeded, step succeeded, its event in the outbox', async () => {
    const tenantId = await newStep();
    const probe = new ProbeStep({ steps, outbox, logger });
    const runner = new JobRunner(new JobRepository(uow), uow, logger, testRunnerOptions(SERVICE, 'registration'));
    runner.register(probe);
    runners.push(runner);
    const correlationId = randomUUID();
    await RequestContext.run({ correlationId }, () =>
      uow.run(() => new JobRepository(uow).enqueue(probe.kind, tenantId, { tenantId }, SITE)),
    );
    await runner.start();
    await eventually(async () => ((await stepOf(tenantId)).status === 'succeeded' ? true : undefined), 10_000);
    const rows = await sql<{ type: string; correlationid: string; tenantid: string }>(
      SERVICE,
      `SELECT envelope->>'type' AS type, envelope->>'correlationid' AS correlationid, envelope->>'tenantid' AS tenantid FROM outbox WHERE tenant_id = $1`,
      [tenantId],
    );
    expect(rows).toEqual([{ type: VmsRegistered.type, correlationid: correlationId, tenantid: tenantId }]);
    const [job] = await sql<{ status: string }>(SERVICE, `SELECT status FROM job WHERE key = $1 AND kind = $2`, [
      tenantId,
      probe.kind,
    ]);
    expect(job.status).toBe('succeeded');
  });

  it('a permanent failure ends the step failed with its code and OnboardingStepFailed, the job failed', async () => {
    const tenantId = await newStep();
    const probe = new ProbeStep({ steps, outbox, logger });
    probe.outcome = 'permanent';
    const runner = new JobRunner(new JobRepository(uow), uow, logger, testRunnerOptions(SERVICE, 'registration'));
    runner.register(probe);
    runners.push(runner);
    await uow.run(() => new JobRepository(uow).enqueue(probe.kind, tenantId, { tenantId }));
    await runner.start();
    await eventually(async () => ((await stepOf(tenantId)).status === 'failed' ? true : undefined), 10_000);
    expect(await stepOf(tenantId)).toMatchObject({ status: 'failed', error_code: 'VIRMT_Probe' });
    const events = await outboxOf(tenantId);
    expect(events.map((e) => e.type)).toEqual([OnboardingStepFailed.type]);
    expect(events[0].data).toMatchObject({ tenantId, step: STEP, code: 'VIRMT_Probe', retryable: false, attempt: 1 });
    const [job] = await sql<{ status: string; last_error: string }>(
      SERVICE,
      `SELECT status, last_error FROM job WHERE key = $1 AND kind = $2`,
      [tenantId, probe.kind],
    );
    expect(job).toEqual({ status: 'failed', last_error: 'VIRMT_Probe: refused for good' });
  });
});
