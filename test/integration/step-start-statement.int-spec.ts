import { randomUUID } from 'node:crypto';
import { VmsRegistered } from '@tpo/contracts';
import { FencedQuery, JobRepository, JobRunner } from '@tpo/jobs';
import { OutboxRepository, OutboxWriter } from '@tpo/messaging';
import { createLogger } from '@tpo/platform';
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
    if (this.counting) this.statements.push(query.replace(/\s+/g, ' '));
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/** A register-vms step that records what its job's start gave it and how many statements that took. */
class StartProbe extends OnboardingStepJob<{ n: number }> {
  readonly step = STEP;
  protected override readonly startsWithVms = true;
  seen: { work: StepWork<{ n: number }>; statements: string[] }[] = [];
  constructor(
    deps: ConstructorParameters<typeof OnboardingStepJob<{ n: number }>>[0],
    private readonly counter: StatementCounter,
  ) {
    super(deps);
  }
  override get kind(): string {
    return 'step-start-probe';
  }
  protected async execute(work: StepWork<{ n: number }>, _s: AbortSignal, _j: StepJobScope): Promise<StepResult> {
    this.seen.push({ work, statements: [...this.counter.statements] });
    return {
      ok: true,
      output: { registered: 1 },
      event: {
        definition: VmsRegistered,
        payload: {
          tenantId: work.tenantId,
          siteId: SITE,
          integrationServerTenantId: randomUUID(),
          succeeded: [{ biosUuid: randomUUID(), name: 'vm-1' }],
          failed: [],
        },
      },
    };
  }
}

describe("a step job's start in one statement (real Postgres)", () => {
  let ds: DataSource;
  let uow: UnitOfWork;
  let steps: StepWorkRepository;
  let outbox: OutboxWriter;
  const counter = new StatementCounter();
  const runners: JobRunner[] = [];
  const logger = createLogger('step-start-test', 'silent');

  const newStep = async (vms = [{ biosUuid: randomUUID(), name: 'vm-b' }]) => {
    const tenantId = randomUUID();
    await uow.run(() => steps.create(tenantId, STEP, SITE, { n: 1 }, vms));
    return tenantId;
  };
  const stepOf = async (tenantId: string) =>
    (
      await sql<{ status: string; updated_at: Date }>(
        SERVICE,
        `SELECT status, updated_at FROM step_work WHERE tenant_id = $1 AND step = $2`,
        [tenantId, STEP],
      )
    )[0];
  const counted = async <T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> => {
    counter.statements.length = 0;
    counter.counting = true;
    try {
      return { result: await work(), statements: [...counter.statements] };
    } finally {
      counter.counting = false;
    }
  };

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

  it('a pending step: marked running and returned as it then is, with its VMs as `vms` reads them, in one statement', async () => {
    const tenantId = await newStep([
      { biosUuid: randomUUID(), name: 'vm-b' },
      { biosUuid: randomUUID(), name: 'vm-a' },
    ]);
    const { current, jobs } = await claimedTwice(uow, 'step-start-direct', tenantId, { tenantId });
    const read = async <R extends Record<string, unknown>>(q: FencedQuery) => {
      const r = await jobs.queryFenced<R>(current, q);
      expect(r.held).toBe(true);
      return r.rows;
    };
    const { result: work, statements } = await counted(() => steps.start(tenantId, STEP, read, { vms: true }));
    expect(statements).toHaveLength(1);
    const stored = await steps.find(tenantId, STEP);
    expect(stored?.status).toBe('running');
    expect(work).toEqual({ ...stored, vms: await steps.vms(tenantId, STEP) });
    expect(work?.vms?.map((v) => v.name)).toEqual(['vm-a', 'vm-b']);
    expect(work?.vms?.[0].updatedAt).toBeInstanceOf(Date);

    // Started again (a retry or a re-run after a crash): returned as it is, nothing written.
    const before = await stepOf(tenantId);
    const again = await counted(() => steps.start(tenantId, STEP, read));
    expect(again.statements).toHaveLength(1);
    expect(again.result).toEqual(stored);
    expect(await stepOf(tenantId)).toEqual(before);
  });

  it('a succeeded or failed step is returned as it is; a missing one is undefined; nothing is written', async () => {
    const tenantId = await newStep();
    await steps.succeed(tenantId, STEP, { registered: 1 });
    const { current, jobs } = await claimedTwice(uow, 'step-start-done', tenantId, { tenantId });
    const read = async <R extends Record<string, unknown>>(q: FencedQuery) =>
      (await jobs.queryFenced<R>(current, q)).rows;
    const before = await stepOf(tenantId);
    expect(await steps.start(tenantId, STEP, read)).toMatchObject({ status: 'succeeded', output: { registered: 1 } });
    expect(await stepOf(tenantId)).toEqual(before);
    expect(await steps.start(randomUUID(), STEP, read, { vms: true })).toBeUndefined();
  });

  it('a stale lease holder starts nothing: held is false, the step stays pending', async () => {
    const tenantId = await newStep();
    const { stale, current, jobs } = await claimedTwice(uow, 'step-start-stale', tenantId, { tenantId });
    let held: boolean | undefined;
    const read = async <R extends Record<string, unknown>>(q: FencedQuery) => {
      const r = await jobs.queryFenced<R>(stale, q);
      held = r.held;
      return r.rows;
    };
    await steps.start(tenantId, STEP, read);
    expect(held).toBe(false);
    expect((await stepOf(tenantId)).status).toBe('pending');
    const ok = await jobs.queryFenced(current, {
      ctes: () => 'x AS (SELECT 1)',
      select: 'SELECT 1 AS one',
      params: [],
    });
    expect(ok).toEqual({ held: true, rows: [{ one: 1 }] });
  });

  it('a counted reservation (licence): lock, then count and merge in one statement, fenced; merged only within the budget', async () => {
    const site = `site-${randomUUID()}`;
    const other = randomUUID();
    await uow.run(() => steps.create(other, STEP, site, { n: 1 }));
    await steps.succeed(other, STEP, { activeVms: 4 });
    const tenantId = randomUUID();
    await uow.run(() => steps.create(tenantId, STEP, site, { n: 1 }));
    const { stale, current, jobs } = await claimedTwice(uow, 'step-reserve', tenantId, { tenantId });
    const readAs =
      (lease: typeof current) =>
      async <R extends Record<string, unknown>>(q: FencedQuery) => {
        const r = await jobs.queryFenced<R>(lease, q);
        if (!r.held) throw new Error('lease lost');
        return r.rows;
      };
    const reserve = (budget: number | null, lease = current) =>
      steps.reserveOutputNumber(
        tenantId,
        STEP,
        site,
        { lock: 'license', key: 'activeVms', budget, patch: { activeVms: 2, intent: budget } },
        readAs(lease),
      );
    const outputOf = async () => (await steps.find(tenantId, STEP))?.output;

    await expect(reserve(10, stale)).rejects.toThrow('lease lost');
    expect(await outputOf()).toBeNull();
    expect((await counted(() => reserve(3))).result).toEqual({ used: 4, reserved: false });
    expect(await outputOf()).toBeNull();
    const { result, statements } = await counted(() => reserve(4));
    expect(result).toEqual({ used: 4, reserved: true });
    expect(await outputOf()).toEqual({ activeVms: 2, intent: 4 });
    // BEGIN, the site's lock, the count with the merge, COMMIT.
    expect(statements).toHaveLength(4);
    expect(statements[1]).toContain('pg_advisory_xact_lock');
    expect(await reserve(null)).toEqual({ used: 4, reserved: true });
    expect(await outputOf()).toEqual({ activeVms: 2, intent: null });
  });

  it("through a real runner: the job's start is one statement, the step reaches `execute` running with its VMs", async () => {
    const tenantId = await newStep();
    const probe = new StartProbe({ steps, outbox, logger }, counter);
    const runner = new JobRunner(new JobRepository(uow), uow, logger, testRunnerOptions(SERVICE, 'registration'));
    runner.register(probe);
    runners.push(runner);
    await uow.run(() => new JobRepository(uow).enqueue(probe.kind, tenantId, { tenantId }, SITE));
    counter.statements.length = 0;
    counter.counting = true;
    await runner.start();
    await eventually(async () => ((await stepOf(tenantId)).status === 'succeeded' ? true : undefined), 10_000);
    counter.counting = false;
    expect(probe.seen).toHaveLength(1);
    const [{ work, statements }] = probe.seen;
    expect(work).toMatchObject({ tenantId, status: 'running', vms: [expect.objectContaining({ name: 'vm-b' })] });
    // Between the claim and `execute`: the start only (no find, no separate setRunning, no VM read).
    const touching = statements.filter((s) => /step_work|step_vm/.test(s));
    expect(touching).toHaveLength(1);
  });
});
