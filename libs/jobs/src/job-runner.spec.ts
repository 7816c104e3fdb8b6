import { UnitOfWork } from '@tpo/persistence';
import pino from 'pino';
import { ClaimResult, Job, JobLease, JobRepository } from './job.repository';
import { JobContext, JobHandler, JobOutcome, JobRunner, JobRunnerOptions } from './job-runner';

const KIND = 'probe';

function jobOf(id: string, siteId: string | null, fence = 1): Job {
  const now = new Date();
  return {
    id,
    kind: KIND,
    key: id,
    siteId,
    payload: {},
    status: 'running',
    attempt: 1,
    tries: 1,
    runAt: now,
    lastError: null,
    traceContext: null,
    createdAt: now,
    updatedAt: now,
    fence,
    correlationId: null,
    causationId: null,
  };
}

/** The job table as the runner sees it: claims come from `nextClaim`, ends and hand-backs are recorded. */
class FakeJobs {
  claims = 0;
  nextClaim?: () => Promise<ClaimResult>;
  readonly succeeded: JobLease[] = [];
  readonly released: { lease: JobLease; delayMs: number }[] = [];

  claimDue(): Promise<ClaimResult> {
    this.claims++;
    const next = this.nextClaim;
    this.nextClaim = undefined;
    return next ? next() : Promise.resolve({ jobs: [], nextDueMs: undefined });
  }
  async renewLease(): Promise<boolean> {
    return true;
  }
  async markSucceeded(lease: JobLease): Promise<boolean> {
    this.succeeded.push({ id: lease.id, fence: lease.fence });
    return true;
  }
  async release(lease: JobLease, delayMs: number): Promise<boolean> {
    this.released.push({ lease: { id: lease.id, fence: lease.fence }, delayMs });
    return true;
  }
}

/** Runs until its gate opens, then succeeds. */
class GatedHandler implements JobHandler {
  readonly kind = KIND;
  readonly ran: Job[] = [];
  private open!: () => void;
  readonly gate = new Promise<void>((r) => (this.open = r));
  async run(ctx: JobContext): Promise<JobOutcome> {
    this.ran.push(ctx.job);
    await this.gate;
    return ctx.succeed();
  }
  async giveUp(ctx: JobContext): Promise<JobOutcome> {
    return ctx.fail('gave up');
  }
  release(): void {
    this.open();
  }
}

const options: JobRunnerOptions = {
  // Nothing listens there: the runner falls back to polling, which the fake answers.
  databaseUrl: 'postgres://127.0.0.1:1/none',
  schema: 'unit',
  concurrency: 2,
  perSiteConcurrency: 1,
  leaseMs: 60_000,
  maxTries: 3,
  retryBaseMs: 10,
  retryMaxMs: 10,
  pollIntervalMs: 50,
};

const until = async (probe: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('JobRunner.reserve: a job handed over by its own replica', () => {
  let jobs: FakeJobs;
  let handler: GatedHandler;
  let runner: JobRunner;
  const others: JobRunner[] = [];

  beforeEach(async () => {
    jobs = new FakeJobs();
    handler = new GatedHandler();
    runner = new JobRunner(
      jobs as unknown as JobRepository,
      { run: <T>(w: () => Promise<T>) => w() } as unknown as UnitOfWork,
      pino({ level: 'silent' }),
      options,
    );
    runner.register(handler as JobHandler<never>);
  });

  afterEach(async () => {
    handler.release();
    await runner.stop();
    for (const r of others.splice(0)) await r.stop();
  });

  it('reserves nothing before the runner runs, nor for a kind it does not handle', async () => {
    expect(runner.reserve(KIND, 's1')).toBeUndefined();
    await runner.start();
    expect(runner.reserve('other-kind', 's1')).toBeUndefined();
    expect(runner.reserve(KIND, 's1')).toBeDefined();
  });

  it('respects the global and per-site limits; a cancelled reservation frees its slot', async () => {
    await runner.start();
    const a = runner.reserve(KIND, 's1');
    expect(a?.leaseMs).toBe(60_000);
    expect(runner.reserve(KIND, 's1')).toBeUndefined(); // per site: 1
    const b = runner.reserve(KIND, 's2');
    expect(b).toBeDefined();
    expect(runner.reserve(KIND, 's3')).toBeUndefined(); // global: 2
    expect(runner.activeCount).toBe(2);
    a!.cancel();
    a!.cancel(); // idempotent: frees one slot, not two
    expect(runner.activeCount).toBe(1);
    expect(runner.reserve(KIND, 's1')).toBeDefined();
    expect(runner.reserve(KIND, 's3')).toBeUndefined();
  });

  it('runs a handed-over job without a claim, under the lease it was inserted with, and frees the slot at its end', async () => {
    await runner.start();
    await until(() => jobs.claims >= 1);
    const slot = runner.reserve(KIND, 's1')!;
    const claimsBefore = jobs.claims;
    slot.start(jobOf('j1', 's1'));
    await until(() => handler.ran.length === 1);
    expect(handler.ran[0].id).toBe('j1');
    expect(runner.reserve(KIND, 's1')).toBeUndefined(); // still its slot while it runs
    handler.release();
    await until(() => jobs.succeeded.length === 1);
    expect(jobs.succeeded).toEqual([{ id: 'j1', fence: 1 }]);
    await until(() => runner.activeCount === 0);
    // The job never came from a claim (the runner may have polled meanwhile, finding nothing).
    expect(jobs.claims - claimsBefore).toBeLessThanOrEqual(2);
  });

  /** A started runner on its own fake repository (3 slots, 2 per site) that polls only once a minute: every claim after its first is a wake-up. */
  async function quietRunner() {
    const own = new FakeJobs();
    const quiet = new JobRunner(
      own as unknown as JobRepository,
      { run: <T>(w: () => Promise<T>) => w() } as unknown as UnitOfWork,
      pino({ level: 'silent' }),
      { ...options, concurrency: 3, perSiteConcurrency: 2, pollIntervalMs: 60_000 },
    );
    quiet.register(handler as JobHandler<never>);
    others.push(quiet);
    await quiet.start();
    await until(() => own.claims === 1);
    return { own, quiet };
  }

  it('claims again after a slot frees only if the runner (or the slot site) was full: otherwise nothing due was left behind', async () => {
    const { own, quiet } = await quietRunner();
    const claimsAfter = async (ms: number) => (await new Promise((r) => setTimeout(r, ms)), own.claims);

    // Room everywhere: a job that ends, a reservation given back, wake nothing.
    const roomy = quiet.reserve(KIND, 's1')!;
    roomy.start(jobOf('roomy', 's1'));
    await until(() => handler.ran.length === 1);
    handler.release();
    await until(() => own.succeeded.length === 1 && quiet.activeCount === 0);
    quiet.reserve(KIND, 's1')!.cancel();
    expect(await claimsAfter(50)).toBe(1);

    // Site s1 full (2 of 2): a slot given back there claims again.
    const s1 = [quiet.reserve(KIND, 's1')!, quiet.reserve(KIND, 's1')!];
    expect(quiet.reserve(KIND, 's1')).toBeUndefined();
    s1[0].cancel();
    await until(() => own.claims === 2, 500);
    s1[1].cancel();
    expect(await claimsAfter(50)).toBe(2);

    // Every slot taken (3 of 3, sites with room): one given back claims again.
    const all = [quiet.reserve(KIND, 'a')!, quiet.reserve(KIND, 'b')!, quiet.reserve(KIND, 'c')!];
    expect(quiet.reserve(KIND, 'd')).toBeUndefined();
    all[2].cancel();
    await until(() => own.claims === 3, 500);
    all.slice(0, 2).forEach((slot) => slot.cancel());
  });

  it('a slot freed while a claim is under way makes the runner claim again (that claim counted the slot as taken)', async () => {
    const { own, quiet } = await quietRunner();
    // Site s1 full; one slot there given back: a claim starts, seeing s1 with one slot taken.
    const s1 = [quiet.reserve(KIND, 's1')!, quiet.reserve(KIND, 's1')!];
    let answer!: (r: ClaimResult) => void;
    own.nextClaim = () => new Promise<ClaimResult>((r) => (answer = r));
    s1[0].cancel();
    await until(() => own.claims === 2);
    // The other one ends before the claim returns: the site is not full any more by now, but that
    // claim filled it (its own job) and left the rest of s1's due jobs behind.
    s1[1].cancel();
    answer({ jobs: [jobOf('claimed', 's1', 1)], nextDueMs: undefined });
    await until(() => own.claims === 3, 500);
  });

  it('a claim that was under way when a reservation took the last slot hands its surplus job back', async () => {
    const single = new JobRunner(
      jobs as unknown as JobRepository,
      { run: <T>(w: () => Promise<T>) => w() } as unknown as UnitOfWork,
      pino({ level: 'silent' }),
      { ...options, concurrency: 1 },
    );
    single.register(handler as JobHandler<never>);
    others.push(single);
    let answer!: (r: ClaimResult) => void;
    jobs.nextClaim = () => new Promise<ClaimResult>((r) => (answer = r));
    await single.start();
    await until(() => answer !== undefined);
    // The claim asked for 1 job (1 slot free); meanwhile the consumer takes that slot.
    const slot = single.reserve(KIND, 's1')!;
    expect(slot).toBeDefined();
    answer({ jobs: [jobOf('claimed', 's2', 4)], nextDueMs: undefined });
    await until(() => jobs.released.length === 1);
    expect(jobs.released[0]).toEqual({ lease: { id: 'claimed', fence: 4 }, delayMs: 200 });
    expect(handler.ran).toEqual([]);
    slot.cancel();
  });

  it('a job handed over after the runner stopped goes back to pending at once (not idle until its lease expires)', async () => {
    await runner.start();
    const slot = runner.reserve(KIND, 's1')!;
    await runner.stop();
    slot.start(jobOf('late', 's1'));
    await until(() => jobs.released.length === 1);
    expect(jobs.released[0]).toEqual({ lease: { id: 'late', fence: 1 }, delayMs: 0 });
    expect(handler.ran).toEqual([]);
  });
});
