import { randomUUID } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { UnitOfWork } from '@tpo/persistence';
import { createLogger, RequestContext, waitForVendor } from '@tpo/platform';
import {
  DEFAULT_HELD_PER_SLOT,
  JobContext,
  JobHandler,
  JobLease,
  JobOutcome,
  JobRepository,
  JobRunner,
} from '@tpo/jobs';
import { DataSource } from 'typeorm';
import { eventually, sql } from '../support/harness';
import { claimedTwice, StalledRepository, testRunnerOptions } from '../support/job-fixtures';
import { testDatabaseUrl } from '../support/test-env';

const SERVICE = 'registration-service';
const KIND = 'fence-probe';

/** A database that refuses the first hand-backs (e.g. the pool had no connection for a moment). */
class FlakyHandBackRepository extends JobRepository {
  failures = 0;
  constructor(
    uow: UnitOfWork,
    private failuresLeft: number,
  ) {
    super(uow);
  }

  override async reschedule(lease: JobLease, delayMs: number, error: string): Promise<boolean> {
    if (this.failuresLeft-- > 0) {
      this.failures++;
      throw new Error('timeout exceeded when trying to connect');
    }
    return super.reschedule(lease, delayMs, error);
  }
}

/** Fails transiently on its first run, succeeds on the next. */
class FailOnceHandler implements JobHandler<{ n: number }> {
  readonly kind = KIND;
  runs = 0;
  async run(ctx: JobContext<{ n: number }>): Promise<JobOutcome> {
    if (++this.runs === 1) throw new Error('vendor unavailable');
    return ctx.succeed();
  }

  async giveUp(ctx: JobContext<{ n: number }>): Promise<JobOutcome> {
    return ctx.fail('gave up');
  }
}

/** A step that calls the vendor, waits for its task (`waitMs`), then calls again; counts calls in flight. */
class VendorTaskHandler implements JobHandler<{ n: number }> {
  readonly kind = KIND;
  calling = 0;
  maxCalling = 0;
  waiting = 0;
  maxWaiting = 0;
  done = 0;
  constructor(private readonly waitMs: number) {}

  private async call(): Promise<void> {
    this.maxCalling = Math.max(this.maxCalling, ++this.calling);
    await new Promise((r) => setTimeout(r, 20));
    this.calling--;
  }

  async run(ctx: JobContext<{ n: number }>): Promise<JobOutcome> {
    const correlationId = RequestContext.current()?.correlationId;
    await this.call();
    this.maxWaiting = Math.max(this.maxWaiting, ++this.waiting);
    await waitForVendor(this.waitMs, ctx.signal);
    this.waiting--;
    await this.call();
    expect(RequestContext.current()?.correlationId).toBe(correlationId);
    // Counted once the job's end has committed: the test reads the outcomes as soon as all are done.
    const outcome = await ctx.succeed();
    this.done++;
    return outcome;
  }

  async giveUp(ctx: JobContext<{ n: number }>): Promise<JobOutcome> {
    return ctx.fail('gave up');
  }
}

class ProbeHandler implements JobHandler<{ n: number }> {
  readonly kind = KIND;
  readonly started: string[] = [];
  constructor(
    private readonly name: string,
    private readonly uow: UnitOfWork,
    private readonly gate?: Promise<void>,
  ) {}

  async run(ctx: JobContext<{ n: number }>): Promise<JobOutcome> {
    this.started.push(`${this.name}:${ctx.job.fence}:${RequestContext.current()?.correlationId}`);
    await this.gate;
    return ctx.succeed(async () => {
      await this.uow
        .manager()
        .query(`UPDATE job SET payload = payload || jsonb_build_object('by', $2::text) WHERE id = $1`, [
          ctx.job.id,
          this.name,
        ]);
    });
  }

  async giveUp(ctx: JobContext<{ n: number }>): Promise<JobOutcome> {
    return ctx.fail('gave up');
  }
}

describe('job leases with fencing tokens (real Postgres)', () => {
  let ds: DataSource;
  let uow: UnitOfWork;
  const runners: JobRunner[] = [];
  const logger = createLogger('job-fencing-test', 'silent');
  const options = testRunnerOptions(SERVICE, 'registration');

  /** Starts a runner of `handler` (lease 60 s) on `count` fresh jobs, job i at `siteOf(i)`. */
  const runJobs = async (
    handler: JobHandler<{ n: number }>,
    limits: { concurrency: number; perSiteConcurrency: number; maxHeld?: number },
    count: number,
    siteOf: (i: number) => string,
  ): Promise<void> => {
    for (const r of runners.splice(0)) await r.stop();
    await sql(SERVICE, `DELETE FROM job WHERE kind = $1`, [KIND]);
    const runner = new JobRunner(new JobRepository(uow), uow, logger, { ...options, ...limits, leaseMs: 60_000 });
    runner.register(handler);
    runners.push(runner);
    await uow.run(async () => {
      const jobs = new JobRepository(uow);
      for (let i = 0; i < count; i++) await jobs.enqueue(KIND, `w-${i}`, { n: i }, siteOf(i));
    });
    await runner.start();
  };
  /** Each job's `status:tries`. */
  const outcomes = async () =>
    (
      await sql<{ status: string; tries: number }>(SERVICE, `SELECT status, tries FROM job WHERE kind = $1`, [KIND])
    ).map((r) => `${r.status}:${r.tries}`);

  beforeAll(async () => {
    ds = await new DataSource({ type: 'postgres', url: testDatabaseUrl(SERVICE) }).initialize();
    uow = new UnitOfWork(ds);
    await sql(SERVICE, `DELETE FROM job WHERE kind = $1`, [KIND]);
  });

  afterAll(async () => {
    for (const r of runners) await r.stop();
    await ds?.destroy();
  });

  it('R11: a stalled lease holder cannot complete a job taken over; the successor holds a higher fence and its result stands', async () => {
    let wake!: () => void;
    const gate = new Promise<void>((r) => (wake = r));
    const stalled = new ProbeHandler('A', uow, gate);
    const runnerA = new JobRunner(new StalledRepository(uow), uow, logger, options);
    runnerA.register(stalled);
    runners.push(runnerA);
    const jobs = new JobRepository(uow);
    const correlationId = `order-${randomUUID()}`;
    await RequestContext.run({ correlationId, causationId: 'event-1' }, () =>
      uow.run(() => jobs.enqueue(KIND, randomUUID(), { n: 1 })),
    );
    await runnerA.start();
    await eventually(async () => stalled.started.length === 1, 10_000);

    // A is paused; its lease runs out and B takes the job over with the next fencing token.
    const successor = new ProbeHandler('B', uow);
    const runnerB = new JobRunner(new JobRepository(uow), uow, logger, options);
    runnerB.register(successor);
    runners.push(runnerB);
    await runnerB.start();
    const [done] = await eventually(
      async () => {
        const rows = await sql<{ status: string; fence: string; payload: { by?: string } }>(
          SERVICE,
          `SELECT status, fence, payload FROM job WHERE kind = $1`,
          [KIND],
        );
        return rows[0]?.status === 'succeeded' ? rows : undefined;
      },
      15_000,
      100,
    );
    expect(done.payload.by).toBe('B');
    expect(Number(done.fence)).toBeGreaterThanOrEqual(2);

    // A wakes up and tries to finish: nothing it writes may land.
    wake();
    await new Promise((r) => setTimeout(r, 500));
    const [after] = await sql<{ status: string; payload: { by?: string } }>(
      SERVICE,
      `SELECT status, payload FROM job WHERE kind = $1`,
      [KIND],
    );
    expect(after).toEqual({ status: 'succeeded', payload: { n: 1, by: 'B' } });
    // The correlation chain: both holders ran in the order's correlation id, not job:<id>.
    expect(stalled.started).toEqual([`A:1:${correlationId}`]);
    expect(successor.started.length).toBeGreaterThanOrEqual(1);
    for (const s of successor.started) expect(s).toMatch(new RegExp(`^B:[2-9]:${correlationId}$`));
  }, 40_000);

  it('a write with a superseded fence is refused at the repository (renew, record, reschedule, succeed)', async () => {
    for (const r of runners.splice(0)) await r.stop();
    await sql(SERVICE, `DELETE FROM job WHERE kind = $1`, [KIND]);
    const { stale, current: second, jobs } = await claimedTwice(uow, KIND, randomUUID(), { n: 2 });
    expect(await jobs.renewLease(stale, 60_000)).toBe(false);
    expect(await uow.run(() => jobs.holdsLease(stale))).toBe(false);
    expect(await jobs.reschedule(stale, 0, 'x')).toBe(false);
    expect(await jobs.markSucceeded(stale)).toBe(false);
    expect(await jobs.markSucceeded(second)).toBe(true);
  });

  it('a hand-back that fails is retried: the job runs again after its backoff, not after its 60 s lease', async () => {
    for (const r of runners.splice(0)) await r.stop();
    await sql(SERVICE, `DELETE FROM job WHERE kind = $1`, [KIND]);
    const repo = new FlakyHandBackRepository(uow, 2);
    const handler = new FailOnceHandler();
    const runner = new JobRunner(repo, uow, logger, { ...options, leaseMs: 60_000 });
    runner.register(handler);
    runners.push(runner);
    await uow.run(() => new JobRepository(uow).enqueue(KIND, randomUUID(), { n: 3 }));
    const started = Date.now();
    await runner.start();
    await eventually(
      async () => {
        const [row] = await sql<{ status: string }>(SERVICE, `SELECT status FROM job WHERE kind = $1`, [KIND]);
        return row?.status === 'succeeded' ? row : undefined;
      },
      15_000,
      100,
    );
    expect(repo.failures).toBe(2);
    expect(handler.runs).toBe(2);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  it("claims no more of a site's jobs than the worker may run there; jobs without a site are not capped", async () => {
    for (const r of runners.splice(0)) await r.stop();
    await sql(SERVICE, `DELETE FROM job WHERE kind = $1`, [KIND]);
    const jobs = new JobRepository(uow);
    await uow.run(async () => {
      for (let i = 0; i < 5; i++) await jobs.enqueue(KIND, `s1-${i}`, { n: i }, 'site-1');
      for (let i = 0; i < 2; i++) await jobs.enqueue(KIND, `s2-${i}`, { n: i }, 'site-2');
      for (let i = 0; i < 2; i++) await jobs.enqueue(KIND, `none-${i}`, { n: i });
    });
    const { jobs: claimed, nextDueMs } = await jobs.claimDue(32, 60_000, [KIND], {
      limit: 3,
      running: { 'site-1': 1 },
    });
    const bySite = (site: string | null) => claimed.filter((j) => j.siteId === site).length;
    expect([bySite('site-1'), bySite('site-2'), bySite(null)]).toEqual([2, 2, 2]);
    // site-1's other due jobs wait for this worker's own slots there (a job ending wakes it): they
    // do not make the claim report work due now, which would have a full runner poll in a loop.
    expect(nextDueMs === undefined || nextDueMs > 1000).toBe(true);
    // the rest of site-1 stays pending for other workers (nothing claimed and handed back)
    const [{ n }] = await sql<{ n: number }>(
      SERVICE,
      `SELECT count(*)::int AS n FROM job WHERE kind = $1 AND status = 'pending' AND site_id = 'site-1'`,
      [KIND],
    );
    expect(n).toBe(3);
  });

  it('a job only waiting for a vendor task lends its slot out: 6 jobs of one site with 1 slot wait together, never 2 calls at once', async () => {
    const handler = new VendorTaskHandler(1500);
    const started = Date.now();
    await runJobs(handler, { concurrency: 1, perSiteConcurrency: 1 }, 6, () => 'site-1');
    await eventually(async () => (handler.done === 6 ? true : undefined), 20_000, 50);
    // Holding the slot through each wait would take 6 x 1.5 s; lent out, the waits overlap.
    expect(Date.now() - started).toBeLessThan(6000);
    expect(handler.maxWaiting).toBeGreaterThanOrEqual(4);
    expect(handler.maxCalling).toBe(1);
    expect(await outcomes()).toEqual(Array(6).fill('succeeded:1'));
  }, 30_000);

  it('holds at most maxHeld jobs, those waiting for a vendor task included; by default 16 per slot', async () => {
    const bounded = new VendorTaskHandler(1000);
    await runJobs(bounded, { concurrency: 1, perSiteConcurrency: 1, maxHeld: 3 }, 6, () => 'site-1');
    await eventually(async () => (bounded.done === 6 ? true : undefined), 20_000, 50);
    expect(bounded.maxWaiting).toBe(3);
    expect(await outcomes()).toEqual(Array(6).fill('succeeded:1'));

    const byDefault = new VendorTaskHandler(2000);
    await runJobs(byDefault, { concurrency: 1, perSiteConcurrency: 1 }, 20, () => 'site-1');
    await eventually(async () => (byDefault.done === 20 ? true : undefined), 20_000, 50);
    expect(byDefault.maxWaiting).toBe(DEFAULT_HELD_PER_SLOT);
    expect(byDefault.maxCalling).toBe(1);
    expect(await outcomes()).toEqual(Array(20).fill('succeeded:1'));
  }, 40_000);

  it("slots lent out come back per site: a site at its limit lets another site's job pass, and no site ever has two calls at once", async () => {
    const calling = new Map<string, number>();
    const most = new Map<string, number>();
    let overall = 0;
    let mostOverall = 0;
    let done = 0;
    const call = async (site: string) => {
      const now = (calling.get(site) ?? 0) + 1;
      calling.set(site, now);
      most.set(site, Math.max(most.get(site) ?? 0, now));
      mostOverall = Math.max(mostOverall, ++overall);
      await new Promise((r) => setTimeout(r, 150));
      calling.set(site, (calling.get(site) ?? 1) - 1);
      overall--;
    };
    const handler: JobHandler<{ n: number }> = {
      kind: KIND,
      async run(ctx) {
        const site = ctx.job.siteId ?? 'none';
        await call(site);
        await waitForVendor(200, ctx.signal); // back while another job of the site calls: it queues for the slot
        await call(site);
        // Counted once the job's end has committed (the outcomes are read as soon as all 8 are done).
        const outcome = await ctx.succeed();
        done++;
        return outcome;
      },
      async giveUp(ctx) {
        return ctx.fail('gave up');
      },
    };
    // 4 slots in all, never the limit here: the sites' limits are.
    await runJobs(handler, { concurrency: 4, perSiteConcurrency: 1 }, 8, (i) => (i % 2 === 0 ? 'site-1' : 'site-2'));
    await eventually(async () => (done === 8 ? true : undefined), 20_000, 20);
    expect(most.get('site-1')).toBe(1);
    expect(most.get('site-2')).toBe(1);
    expect(mostOverall).toBe(2); // the two sites' calls did overlap
    expect(await outcomes()).toEqual(Array(8).fill('succeeded:1'));
  }, 30_000);

  it("finished jobs leave nothing on the runner's shutdown signal (no per-job reference kept for the life of the process)", async () => {
    for (const r of runners.splice(0)) await r.stop();
    await sql(SERVICE, `DELETE FROM job WHERE kind = $1`, [KIND]);
    const handler = new ProbeHandler('leak-probe', uow);
    const runner = new JobRunner(new JobRepository(uow), uow, logger, { ...options, concurrency: 8 });
    runner.register(handler);
    runners.push(runner);
    await uow.run(async () => {
      const jobs = new JobRepository(uow);
      for (let i = 0; i < 20; i++) await jobs.enqueue(KIND, `l-${i}`, { n: i });
    });
    await runner.start();
    await eventually(
      async () => (handler.started.length === 20 && runner.inFlight === 0 ? true : undefined),
      20_000,
      50,
    );
    const shutdown = (runner as unknown as { abort: AbortController }).abort.signal;
    // AbortSignal.any would have added one WeakRef per job to this set, never removed on Node 20.
    const key = Object.getOwnPropertySymbols(shutdown).find((k) => k.description === 'kDependantSignals');
    const dependants = key ? ((shutdown as unknown as Record<symbol, Set<unknown> | undefined>)[key]?.size ?? 0) : 0;
    expect(dependants).toBe(0);
    expect(getEventListeners(shutdown, 'abort')).toHaveLength(0);
  }, 30_000);
});
