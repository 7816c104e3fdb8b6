import { randomUUID } from 'node:crypto';
import { UnitOfWork } from '@tpo/persistence';
import { createLogger } from '@tpo/platform';
import { JobContext, JobHandler, JobOutcome, JobRepository, JobRunner, LeaseLostError } from '@tpo/jobs';
import { StepWorkRepository } from '@tpo/steps';
import { DataSource } from 'typeorm';
import { eventually, sql } from '../support/harness';
import { claimedTwice, StalledRepository, testRunnerOptions } from '../support/job-fixtures';
import { testDatabaseUrl } from '../support/test-env';

const SERVICE = 'registration-service';
const KIND = 'fenced-write-probe';
const STEP = 'register-vms' as const;
// BIOS UUIDs of the two VMs every test step has (sorted: a < b).
const VM_A = '00000000-0000-4000-8000-00000000000a';
const VM_B = '00000000-0000-4000-8000-00000000000b';

/** Writes its name into both VM rows of the tenant with the job's single-statement fenced writer. */
class VmWriter implements JobHandler<{ tenantId: string }> {
  readonly kind = KIND;
  started = 0;
  error?: unknown;
  constructor(
    private readonly name: string,
    private readonly steps: StepWorkRepository,
    private readonly gate?: Promise<void>,
  ) {}

  async run(ctx: JobContext<{ tenantId: string }>): Promise<JobOutcome> {
    this.started++;
    await this.gate;
    const changes = [VM_A, VM_B].map((biosUuid) => ({
      biosUuid,
      status: 'succeeded' as const,
      detail: { by: this.name },
    }));
    try {
      await this.steps.setVms(ctx.job.payload.tenantId, STEP, changes, (s) => ctx.write(s));
    } catch (e) {
      this.error = e;
      throw e;
    }
    return ctx.succeed();
  }

  async giveUp(ctx: JobContext<{ tenantId: string }>): Promise<JobOutcome> {
    return ctx.fail('gave up');
  }
}

describe('fenced writes without a transaction of their own (real Postgres)', () => {
  let ds: DataSource;
  let uow: UnitOfWork;
  let steps: StepWorkRepository;
  const runners: JobRunner[] = [];
  const logger = createLogger('fenced-write-test', 'silent');
  const options = testRunnerOptions(SERVICE, 'registration');

  const vmDetails = async (tenantId: string) =>
    (
      await sql<{ bios_uuid: string; status: string; detail: { by?: string } | null }>(
        SERVICE,
        `SELECT bios_uuid, status, detail FROM step_vm WHERE tenant_id = $1 AND step = $2 ORDER BY bios_uuid`,
        [tenantId, STEP],
      )
    ).map(
      (r) =>
        `${r.bios_uuid === VM_A ? 'vm-a' : r.bios_uuid === VM_B ? 'vm-b' : r.bios_uuid}:${r.status}:${r.detail?.by ?? '-'}`,
    );

  const newStep = async () => {
    const tenantId = randomUUID();
    await uow.run(() =>
      steps.create(tenantId, STEP, 'site-1', { n: 1 }, [
        { biosUuid: VM_A, name: 'a' },
        { biosUuid: VM_B, name: 'b' },
      ]),
    );
    return tenantId;
  };

  /** A job claimed twice: `stale` lost it to `current` (the first lease ran out). */
  const takenOver = (tenantId: string) => claimedTwice(uow, KIND, tenantId, { tenantId });

  beforeAll(async () => {
    ds = await new DataSource({ type: 'postgres', url: testDatabaseUrl(SERVICE) }).initialize();
    uow = new UnitOfWork(ds);
    steps = new StepWorkRepository(uow);
  });

  beforeEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    await sql(SERVICE, `DELETE FROM job WHERE kind = $1`, [KIND]);
  });

  afterAll(async () => {
    for (const r of runners) await r.stop();
    await ds?.destroy();
  });

  it('a step and its VM rows are recorded in one statement, once (a redelivery adds nothing)', async () => {
    const tenantId = await newStep();
    expect(
      await uow.run(() => steps.create(tenantId, STEP, 'site-1', { n: 2 }, [{ biosUuid: randomUUID(), name: 'c' }])),
    ).toBe(false);
    expect(await vmDetails(tenantId)).toEqual(['vm-a:pending:-', 'vm-b:pending:-']);
    const [work] = await sql<{ input: { n: number } }>(
      SERVICE,
      `SELECT input FROM step_work WHERE tenant_id = $1 AND step = $2`,
      [tenantId, STEP],
    );
    expect(work.input).toEqual({ n: 1 });
  });

  it('a stale lease holder writes nothing with writeFenced; the current holder writes', async () => {
    const tenantId = await newStep();
    const { stale, current, jobs } = await takenOver(tenantId);
    const statement = (by: string) => ({
      text: (held: string) =>
        `UPDATE step_vm SET detail = jsonb_build_object('by', $2::text) WHERE tenant_id = $1 AND ${held}`,
      params: [tenantId, by],
    });
    expect(await jobs.writeFenced(stale, statement('stale'))).toEqual({ held: false, written: 0 });
    expect(await vmDetails(tenantId)).toEqual(['vm-a:pending:-', 'vm-b:pending:-']);
    expect(await jobs.writeFenced(current, statement('current'))).toEqual({ held: true, written: 2 });
    expect(await vmDetails(tenantId)).toEqual(['vm-a:pending:current', 'vm-b:pending:current']);
    // A finished job holds no lease either.
    expect(await jobs.markSucceeded(current)).toBe(true);
    expect((await jobs.writeFenced(current, statement('late'))).held).toBe(false);
    expect(await vmDetails(tenantId)).toEqual(['vm-a:pending:current', 'vm-b:pending:current']);
  });

  it('R11: a stalled holder that wakes after a takeover gets LeaseLostError from ctx.write and changes no VM row', async () => {
    const tenantId = await newStep();
    let wake!: () => void;
    const gate = new Promise<void>((r) => (wake = r));
    const stalled = new VmWriter('A', steps, gate);
    const runnerA = new JobRunner(new StalledRepository(uow), uow, logger, options);
    runnerA.register(stalled);
    runners.push(runnerA);
    await uow.run(() => new JobRepository(uow).enqueue(KIND, tenantId, { tenantId }));
    await runnerA.start();
    await eventually(async () => (stalled.started === 1 ? true : undefined), 10_000);

    // A's lease runs out; B takes the job over and writes its VM rows.
    const successor = new VmWriter('B', steps);
    const runnerB = new JobRunner(new JobRepository(uow), uow, logger, options);
    runnerB.register(successor);
    runners.push(runnerB);
    await runnerB.start();
    await eventually(
      async () => {
        const [row] = await sql<{ status: string }>(SERVICE, `SELECT status FROM job WHERE kind = $1`, [KIND]);
        return row?.status === 'succeeded' ? row : undefined;
      },
      15_000,
      100,
    );
    expect(await vmDetails(tenantId)).toEqual(['vm-a:succeeded:B', 'vm-b:succeeded:B']);

    // A wakes up and writes with its superseded fence: refused, nothing changes.
    wake();
    await eventually(async () => (stalled.error ? true : undefined), 5000, 50);
    expect(stalled.error).toBeInstanceOf(LeaseLostError);
    expect(await vmDetails(tenantId)).toEqual(['vm-a:succeeded:B', 'vm-b:succeeded:B']);
    const [job] = await sql<{ status: string }>(SERVICE, `SELECT status FROM job WHERE kind = $1`, [KIND]);
    expect(job.status).toBe('succeeded');
  }, 40_000);

  it("a holder's records share the job row (they do not queue behind each other), and a takeover's claim skips it meanwhile", async () => {
    const tenantId = await newStep();
    const jobs = new JobRepository(uow);
    await uow.run(() => jobs.enqueue(KIND, tenantId, { tenantId }));
    const {
      jobs: [held],
    } = await jobs.claimDue(1, 1, [KIND]); // its lease expires at once: the job is due for a takeover
    await new Promise((r) => setTimeout(r, 20));
    let release!: () => void;
    const open = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    // An open record of the holder: the lease checked, the transaction not yet committed.
    const first = uow.run(async () => {
      expect(await jobs.holdsLease(held)).toBe(true);
      locked();
      await open;
    });
    await isLocked;
    // A second record and a single-statement write of the same holder go through meanwhile.
    const second = uow.run(async () => {
      expect(await jobs.holdsLease(held)).toBe(true);
    });
    const write = jobs.writeFenced(held, {
      text: (h) => `UPDATE step_vm SET detail = '{"by":"parallel"}'::jsonb WHERE tenant_id = $1 AND ${h}`,
      params: [tenantId],
    });
    const inTime = <T>(p: Promise<T>) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('blocked')), 3000))]);
    await inTime(second);
    expect(await inTime(write)).toEqual({ held: true, written: 2 });
    // The lease has expired, but the takeover's claim skips the row while the record is open.
    expect((await jobs.claimDue(1, 60_000, [KIND])).jobs).toEqual([]);
    release();
    await first;
    const { jobs: taken } = await jobs.claimDue(1, 60_000, [KIND]);
    expect(taken.map((j) => j.fence)).toEqual([held.fence + 1]);
    expect(await uow.run(() => jobs.holdsLease(held))).toBe(false);
  });

  it('the claim tells when the next job is due, leaving out what it claimed', async () => {
    const jobs = new JobRepository(uow);
    await uow.run(async () => {
      await jobs.enqueue(KIND, `due-1-${randomUUID()}`, {});
      await jobs.enqueue(KIND, `due-2-${randomUUID()}`, {});
    });
    const first = await jobs.claimDue(1, 60_000, [KIND]);
    expect(first.jobs).toHaveLength(1);
    expect(first.nextDueMs).toBe(0); // the other one is due now
    const second = await jobs.claimDue(1, 60_000, [KIND]);
    expect(second.jobs).toHaveLength(1);
    // Only the two claimed jobs' leases are left, about a minute away.
    expect(second.nextDueMs).toBeGreaterThan(50_000);
    expect(second.nextDueMs).toBeLessThanOrEqual(60_000);
    const none = await jobs.claimDue(1, 60_000, [KIND]);
    expect(none.jobs).toEqual([]);
    expect(none.nextDueMs).toBeGreaterThan(50_000);
  });
});
