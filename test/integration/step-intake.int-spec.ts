import { randomUUID } from 'node:crypto';
import { Type } from 'class-transformer';
import { IsArray, IsString, IsUUID, ValidateNested } from 'class-validator';
import { defineEvent, EventEnvelope } from '@tpo/contracts';
import { JobContext, JobEnqueuer, JobHandler, JobOutcome, JobRepository, JobRunner } from '@tpo/jobs';
import { DeadLetterRepository, EventProcessor, InboxClaim, InboxRepository, RetryPolicy } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { createLogger, PlatformMetrics } from '@tpo/platform';
import { StepIntake, StepWorkRepository } from '@tpo/steps';
import { DataSource } from 'typeorm';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { eventually, sql } from '../support/harness';
import { testRunnerOptions } from '../support/job-fixtures';
import { serviceLayout, testDatabaseUrl } from '../support/test-env';

const SERVICE = 'agent-install-service';
const STEP = 'install-agents' as const;
const CONSUMER = 'agent-install-service--step-intake-probe-v1';

class ProbeVm {
  // Not checked as a UUID here, so a test can make the statement fail on its uuid cast.
  @IsString()
  biosUuid!: string;

  @IsString()
  name!: string;
}

/** A test-only triggering event: a step's tenant, site and VMs. */
class StepIntakeProbeV1 {
  @IsUUID()
  tenantId!: string;

  @IsString()
  siteId!: string;

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ProbeVm)
  vms!: ProbeVm[];
}

const Probe = defineEvent({
  name: 'StepIntakeProbe',
  version: 1,
  payload: StepIntakeProbeV1,
  producers: ['svm-config-service'],
  consumers: ['agent-install-service'],
  description: 'test only',
});

/**
 * A step service's intake of its triggering event (issue 11): inbox row, step record, VM rows and
 * job in one statement, with the idempotency of the inbox transaction it replaces.
 */
describe('step intake in one statement (real Postgres)', () => {
  let ds: DataSource;
  let uow: UnitOfWork;
  let intake: StepIntake;
  let processor: EventProcessor;
  const statements: string[] = [];
  let spy: jest.SpyInstance;
  let runner: JobRunner;
  const logger = createLogger('step-intake-test', 'silent');

  const event = (tenantId: string, vms: { biosUuid: string; name: string }[], id = randomUUID()) =>
    ({
      specversion: '1.0',
      id,
      type: Probe.type,
      source: 'svm-config-service',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      tenantid: tenantId,
      correlationid: `corr-${tenantId}`,
      data: { tenantId, siteId: 'site-1', vms },
    }) as EventEnvelope;

  /** What the step services' controllers do: `@OnEvent(X, { claimsInbox: true })` + `@Ctx() inbox`. */
  const handler = async (e: EventEnvelope, inbox?: InboxClaim) => {
    const data = e.data as { tenantId: string; siteId: string; vms: { biosUuid: string; name: string }[] };
    await intake.start(STEP, data.tenantId, data.siteId, data, data.vms, inbox);
  };

  const deliver = (e: EventEnvelope, deliveryCount = 1) =>
    processor.process(
      CONSUMER,
      Probe,
      handler,
      { subject: 'tpo.evt.step-intake-probe.v1', data: JSON.stringify(e), deliveryCount, streamSeq: 1 },
      undefined,
      { claimsInbox: true },
    );

  const rows = async (tenantId: string, eventIds: string[]) => ({
    inbox: (
      await sql<{ event_id: string }>(
        SERVICE,
        `SELECT event_id FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[]) ORDER BY event_id`,
        [CONSUMER, eventIds],
      )
    ).map((r) => r.event_id),
    work: await sql<{ status: string; site_id: string; input: { vms: unknown[] } }>(
      SERVICE,
      `SELECT status, site_id, input FROM step_work WHERE tenant_id = $1 AND step = $2`,
      [tenantId, STEP],
    ),
    vms: (
      await sql<{ name: string; status: string }>(
        SERVICE,
        `SELECT name, status FROM step_vm WHERE tenant_id = $1 AND step = $2 ORDER BY name`,
        [tenantId, STEP],
      )
    ).map((r) => `${r.name}:${r.status}`),
    jobs: await sql<{ key: string; status: string; site_id: string; correlation_id: string; causation_id: string }>(
      SERVICE,
      `SELECT key, status, site_id, correlation_id, causation_id FROM job WHERE kind = $1 AND key = $2`,
      [STEP, tenantId],
    ),
  });

  const vm = (name: string) => ({ biosUuid: randomUUID(), name });

  beforeAll(async () => {
    ds = await new DataSource({ type: 'postgres', url: testDatabaseUrl(SERVICE) }).initialize();
    uow = new UnitOfWork(ds);
    // A runner that is not running: every job is enqueued pending (the hand-over has its own test below).
    const jobs = new JobRepository(uow);
    runner = new JobRunner(jobs, uow, logger, testRunnerOptions(SERVICE, serviceLayout(SERVICE).schema));
    intake = new StepIntake(new StepWorkRepository(uow), jobs, new JobEnqueuer(jobs, runner, uow));
    processor = new EventProcessor({
      service: SERVICE,
      uow,
      inbox: new InboxRepository(uow),
      deadLetters: new DeadLetterRepository(uow),
      retry: new RetryPolicy(3, 10, 100, () => 0.5),
      metrics: new PlatformMetrics('step-intake-test'),
      logger: createLogger('step-intake-test', 'silent'),
      maxMessageBytes: 1024 * 1024,
    });
    const query = PostgresQueryRunner.prototype.query;
    spy = jest.spyOn(PostgresQueryRunner.prototype, 'query').mockImplementation(function (
      this: PostgresQueryRunner,
      ...args: Parameters<typeof query>
    ) {
      statements.push(args[0]);
      return query.apply(this, args);
    });
  });

  beforeEach(() => {
    statements.length = 0;
  });

  afterAll(async () => {
    await runner?.stop();
    spy?.mockRestore();
    await ds?.destroy();
  });

  it('writes the inbox row, the step, its VMs and its job in one statement, without BEGIN/COMMIT', async () => {
    const tenantId = randomUUID();
    const e = event(tenantId, [vm('b'), vm('a')]);
    expect(await deliver(e)).toEqual({ action: 'ack', result: 'applied' });
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^WITH inbox AS \(INSERT INTO inbox/);
    const r = await rows(tenantId, [e.id]);
    expect(r.inbox).toEqual([e.id]);
    expect(r.work).toEqual([expect.objectContaining({ status: 'pending', site_id: 'site-1' })]);
    expect(r.work[0].input.vms).toHaveLength(2);
    expect(r.vms).toEqual(['a:pending', 'b:pending']);
    // The job carries the event's correlation and causation, as JobRepository.enqueue does.
    expect(r.jobs).toEqual([
      { key: tenantId, status: 'pending', site_id: 'site-1', correlation_id: `corr-${tenantId}`, causation_id: e.id },
    ]);
  });

  it('a redelivered event (same id) is a duplicate and writes nothing, in the same one statement', async () => {
    const tenantId = randomUUID();
    const e = event(tenantId, [vm('a')]);
    await deliver(e);
    await sql(SERVICE, `UPDATE step_vm SET status = 'succeeded' WHERE tenant_id = $1`, [tenantId]);
    statements.length = 0;
    expect(await deliver({ ...e, data: { ...(e.data as object), vms: [vm('c')] } }, 2)).toEqual({
      action: 'ack',
      result: 'duplicate',
    });
    expect(statements).toHaveLength(1);
    const r = await rows(tenantId, [e.id]);
    expect(r.vms).toEqual(['a:succeeded']);
    expect(r.jobs).toHaveLength(1);
  });

  it('another event for a step already recorded is applied (its inbox row) but adds no step, VM or job', async () => {
    const tenantId = randomUUID();
    const first = event(tenantId, [vm('a')]);
    const second = event(tenantId, [vm('z')]);
    await deliver(first);
    expect(await deliver(second)).toEqual({ action: 'ack', result: 'applied' });
    const r = await rows(tenantId, [first.id, second.id]);
    expect(r.inbox.sort()).toEqual([first.id, second.id].sort());
    expect(r.vms).toEqual(['a:pending']);
    expect(r.jobs).toHaveLength(1);
  });

  it('concurrent deliveries of one event: one applies, the other waits on the inbox row and writes nothing', async () => {
    const tenantId = randomUUID();
    const e = event(tenantId, [vm('a'), vm('b')]);
    const outcomes = await Promise.all([deliver(e), deliver(e, 2), deliver(e, 3)]);
    expect(outcomes.map((o) => (o.action === 'ack' ? o.result : o.action)).sort()).toEqual([
      'applied',
      'duplicate',
      'duplicate',
    ]);
    const r = await rows(tenantId, [e.id]);
    expect(r.vms).toEqual(['a:pending', 'b:pending']);
    expect(r.jobs).toHaveLength(1);
  });

  it('all or nothing: a statement that fails leaves no inbox row, and the redelivery applies the event', async () => {
    const tenantId = randomUUID();
    // A VM whose BIOS UUID is no UUID: the VM insert fails inside the statement, after the inbox row.
    const e = event(tenantId, [vm('a'), { biosUuid: 'not-a-uuid', name: 'b' }]);
    const outcome = await deliver(e);
    expect(outcome).toMatchObject({ action: 'retry', reason: expect.stringMatching(/uuid/) });
    expect(await rows(tenantId, [e.id])).toEqual({ inbox: [], work: [], vms: [], jobs: [] });
    const fixed = (e.data as { vms: { biosUuid: string; name: string }[] }).vms.slice(0, 1);
    expect(await deliver({ ...e, data: { ...(e.data as object), vms: fixed } }, 2)).toEqual({
      action: 'ack',
      result: 'applied',
    });
    const r = await rows(tenantId, [e.id]);
    expect(r.inbox).toEqual([e.id]);
    expect(r.vms).toEqual(['a:pending']);
    expect(r.jobs).toHaveLength(1);
  });

  it('without a claim (a dead-letter replay, in its transaction), the step, VMs and job are still one statement', async () => {
    const tenantId = randomUUID();
    const e = event(tenantId, [vm('a')]);
    const outcome = await processor.replay(CONSUMER, Probe, handler, {
      subject: 'tpo.evt.step-intake-probe.v1',
      data: JSON.stringify(e),
      deliveryCount: 1,
      streamSeq: null,
    });
    expect(outcome).toEqual({ ok: true, duplicate: false });
    expect(statements.filter((s) => !/^(START TRANSACTION|COMMIT)$/.test(s))).toEqual([
      expect.stringMatching(/^INSERT INTO inbox/),
      expect.stringMatching(/^WITH work AS \(INSERT INTO step_work/),
    ]);
    const r = await rows(tenantId, [e.id]);
    expect(r.inbox).toEqual([e.id]);
    expect(r.vms).toEqual(['a:pending']);
    expect(r.jobs).toHaveLength(1);
  });

  it("with a slot in this replica's runner, the job is inserted claimed in the same one statement and runs without a claim", async () => {
    const ran: { tenantId: string; fence: number; tries: number }[] = [];
    const handed: unknown[] = [];
    const handler: JobHandler<{ tenantId: string }> = {
      kind: STEP,
      run: async (ctx: JobContext<{ tenantId: string }>): Promise<JobOutcome> => {
        ran.push({ tenantId: ctx.job.payload.tenantId, fence: ctx.job.fence, tries: ctx.job.tries });
        handed.push(ctx.job.handedState);
        return ctx.succeed();
      },
      giveUp: (ctx: JobContext<{ tenantId: string }>) => ctx.fail('gave up'),
    };
    await sql(SERVICE, `DELETE FROM job WHERE kind = $1`, [STEP]); // the pending jobs of the tests above
    runner.register(handler as JobHandler<never>);
    const claimDue = jest.spyOn(JobRepository.prototype, 'claimDue');
    await runner.start();
    try {
      await eventually(async () => claimDue.mock.calls.length >= 1); // its first round is over
      const claimsBefore = claimDue.mock.calls.length;
      statements.length = 0;
      const tenantId = randomUUID();
      const e = event(tenantId, [vm('a')]);
      expect(await deliver(e)).toEqual({ action: 'ack', result: 'applied' });
      // The intake is still one statement, no transaction; the job (handed over at once) writes its end.
      expect(statements[0]).toMatch(/^WITH inbox AS \(INSERT INTO inbox/);
      expect(statements[0]).toMatch(/INSERT INTO job .*'running', now\(\) \+/s);
      expect(statements.filter((x) => /INSERT INTO|START TRANSACTION|COMMIT/.test(x))).toHaveLength(1);
      await eventually(async () => ran.length === 1);
      expect(ran).toEqual([{ tenantId, fence: 1, tries: 1 }]);
      // The step is recorded running by the same statement, and handed to the job as recorded: the
      // job needs no start statement (OnboardingStepJob takes it instead of StepWorkRepository.start).
      const [stored] = (await rows(tenantId, [e.id])).work;
      expect(stored.status).toBe('running');
      expect(handed).toEqual([
        expect.objectContaining({
          tenantId,
          step: STEP,
          siteId: 'site-1',
          status: 'running',
          attempt: 1,
          input: stored.input,
          output: null,
          vms: [expect.objectContaining({ name: 'a', status: 'pending', detail: null })],
        }),
      ]);
      await eventually(async () => (await rows(tenantId, [e.id])).jobs[0]?.status === 'succeeded');
      // Handed over, not claimed: no claim ran meanwhile (a claim would have found nothing anyway).
      expect(claimDue.mock.calls.length).toBe(claimsBefore);
      // The redelivery writes nothing and hands nothing over; the slot was given back.
      expect(await deliver(e, 2)).toEqual({ action: 'ack', result: 'duplicate' });
      await new Promise((r) => setTimeout(r, 100));
      expect(ran).toHaveLength(1);
      expect(runner.activeCount).toBe(0);
    } finally {
      claimDue.mockRestore();
      await runner.stop();
    }
  });
});
