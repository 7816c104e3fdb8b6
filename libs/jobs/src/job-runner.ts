import { DomainError, linkSignals, RequestContext, runWithWaitSlot, SpanKind, WaitSlot, withSpan } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { ExponentialBackoff, handleAll, retry, RetryPolicy } from 'cockatiel';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { FencedQuery, FencedStatement, Job, JobRepository } from './job.repository';

/** The job was taken over by another worker (its lease expired): this holder must stop writing. */
export class LeaseLostError extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId}: lease lost (taken over by another worker); nothing written`);
    this.name = 'LeaseLostError';
  }
}

const jobAttributes = (job: Job) => ({
  'tpo.job.id': job.id,
  'tpo.job.kind': job.kind,
  'tpo.job.attempt': job.attempt,
  'tpo.job.try': job.tries,
  'tpo.tenant_id': job.key,
});

export interface JobOutcome {
  readonly settled: true;
}

export interface JobContext<P = Record<string, unknown>> {
  readonly job: Job<P>;
  /**
   * Aborted on shutdown (stop polling and return; the job is handed back at once) and when the
   * lease is lost (another worker took the job over: stop before any further external call).
   */
  readonly signal: AbortSignal;
  /**
   * Commits `work` (e.g. an intent or a task id recorded before/after an external call) in one
   * transaction only while this worker still holds the job's lease (fencing token checked under a
   * row lock); throws LeaseLostError, writing nothing, after a takeover.
   */
  record(work: () => Promise<void>): Promise<void>;
  /**
   * Runs one data-modifying statement (or several, applied together as one statement) only while
   * this worker holds the job's lease, in a single round trip (the lease check and the write are
   * one statement, no BEGIN/COMMIT; inside `record` it joins that transaction). Returns the rows
   * written; throws LeaseLostError, writing nothing, after a takeover. For hot progress writes
   * (e.g. a VM's state, an intent and what goes with it); `record` for anything else.
   */
  write(statement: FencedStatement | FencedStatement[]): Promise<number>;
  /**
   * As `write`, for a statement that also reads rows back (e.g. a step marked running and returned
   * in one round trip): its writes apply only while this worker holds the lease; returns its rows;
   * throws LeaseLostError, writing nothing, after a takeover. Inside `record` or another transaction
   * in scope, it joins it.
   */
  query<R extends Record<string, unknown>>(query: FencedQuery): Promise<R[]>;
  /** Commits `work` (state, outbox events) and the job's success in one transaction. */
  succeed(work?: () => Promise<void>): Promise<JobOutcome>;
  /** Commits `work` (failure state, failure event) and the job's failure in one transaction. */
  fail(error: string, work?: () => Promise<void>): Promise<JobOutcome>;
  /**
   * As `succeed`, with the work given as statements: the job's success and `statements` commit
   * together in ONE statement (one round trip instead of BEGIN, the job's end, each write, COMMIT);
   * throws LeaseLostError, writing nothing, after a takeover. See JobRepository.endFenced.
   */
  succeedWith(statements: FencedStatement[]): Promise<JobOutcome>;
  /** As `fail`, with the work given as statements, in one statement (see succeedWith). */
  failWith(error: string, statements: FencedStatement[]): Promise<JobOutcome>;
}

/** Long-running work of one kind (a step with external calls). Must be idempotent: it can re-run after a crash. */
export interface JobHandler<P = Record<string, unknown>> {
  readonly kind: string;
  run(ctx: JobContext<P>): Promise<JobOutcome>;
  /** Called when the job keeps failing transiently past the limit, or fails permanently. */
  giveUp(ctx: JobContext<P>, error: unknown): Promise<JobOutcome>;
}

export interface JobRunnerOptions {
  databaseUrl: string;
  schema: string;
  concurrency: number;
  perSiteConcurrency: number;
  leaseMs: number;
  maxTries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Poll interval while no LISTEN connection is up (default 1 s). */
  pollIntervalMs?: number;
  /** Safety-net poll while LISTEN is up (default 30 s): NOTIFY and the next due time wake the runner. */
  idlePollMs?: number;
  /** Tries of a failed hand-back (release, reschedule) before the lease is left to expire (default 5). */
  handBackAttempts?: number;
  /**
   * Jobs held at once (claimed, lease kept), counting those only waiting for a vendor task, which
   * do not take a concurrency slot meanwhile (default DEFAULT_HELD_PER_SLOT x concurrency).
   */
  maxHeld?: number;
}

/**
 * Jobs held per concurrency slot unless `maxHeld` says otherwise: 16 x the default 32 = 512, a whole
 * site's worth of tenants (a KSC serves at most 500 virtual servers) waiting at once. With 8 (256),
 * the second half of a 500-tenant bulk waited for the first half's 10 s installations before its
 * own could start (performance.md 11.y).
 */
export const DEFAULT_HELD_PER_SLOT = 16;

/**
 * A slot this runner set aside for a job its own replica is inserting already claimed (JobEnqueuer):
 * `start` hands the job over once its row committed, `cancel` gives the slot back (rolled back, or
 * the row already existed). Exactly one of them must be called.
 */
export interface JobReservation {
  /** The lease to insert the row with (the runner's). */
  readonly leaseMs: number;
  start(job: Job): void;
  cancel(): void;
}

/** One claim this runner holds; `waiting` while it lends its slot out (waitForVendor). */
interface Held {
  siteId: string | null;
  promise: Promise<void>;
  waiting: boolean;
}

/** Due jobs a claim may have left behind: any (`all`), or those of `sites`. */
interface LeftOut {
  all: boolean;
  sites: Set<string>;
}

const SETTLED: JobOutcome = { settled: true };

/**
 * Runs durable jobs from the service's `job` table: claims due jobs with SKIP LOCKED (safe with
 * several replicas), keeps a lease while running (a crashed worker's job is picked up again when
 * the lease expires), retries transient failures with exponential backoff, bounds concurrency
 * globally and per site. It sleeps until the next job is due (or a lease expires) and wakes early
 * on Postgres NOTIFY, sent only when a row becomes pending (never by its own claim); without a
 * LISTEN connection it polls every second and keeps trying to listen again.
 */
export class JobRunner {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly running = new Map<string, Held>();
  /** Jobs whose vendor wait is over, waiting for a slot again (first come, first served; before new claims). */
  private readonly resuming: { held: Held; resume: () => void }[] = [];
  private readonly abort = new AbortController();
  private listener?: Client;
  private loop?: Promise<void>;
  private wake?: () => void;
  private notified = false;
  /** A claim is under way: jobs back from a vendor wait queue for a slot until it is dispatched. */
  private claiming = false;
  private active = false;
  private reservations = 0;
  /** What the last claim may have left due (see leftOutBy); everything until the first claim. */
  private leftOut: LeftOut = { all: true, sites: new Set() };
  /**
   * Handing a job back (release, reschedule) is retried a few times: if it failed once and was
   * left to the lease, the job would sit claimed and idle until the lease expired (a 60 s stall
   * seen under load, when the pool or the database briefly refused a connection).
   */
  private readonly handBack: RetryPolicy;

  constructor(
    private readonly jobs: JobRepository,
    private readonly uow: UnitOfWork,
    private readonly logger: Logger,
    private readonly options: JobRunnerOptions,
  ) {
    this.handBack = retry(handleAll, {
      maxAttempts: options.handBackAttempts ?? 5,
      backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 4000 }),
    });
  }

  /** Jobs this runner holds at most (JobRunnerOptions.maxHeld). */
  private get maxHeld(): number {
    return this.options.maxHeld ?? DEFAULT_HELD_PER_SLOT * this.options.concurrency;
  }

  register(handler: JobHandler<never>): void {
    this.handlers.set(handler.kind, handler as unknown as JobHandler);
  }

  async start(): Promise<void> {
    if (this.active || this.handlers.size === 0) return;
    this.active = true;
    await this.listen();
    this.loop = this.run();
  }

  private async listen(): Promise<void> {
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: `job-runner:${this.options.schema}`,
    });
    client.on('notification', () => this.wakeUp());
    client.on('error', (e) => {
      this.logger.warn({ err: e }, 'job listener connection lost; polling until it is back');
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.options.schema}_job"`);
      this.listener = client;
    } catch (e) {
      this.logger.warn({ err: e }, 'job listener unavailable; polling until it is back');
      await client.end().catch(() => undefined);
    }
  }

  /** Stops claiming, aborts in-flight jobs (they hand their lease back) and waits for them. */
  async stop(): Promise<void> {
    this.active = false;
    this.abort.abort(new Error('shutting down'));
    this.wakeUp();
    await this.loop;
    await Promise.allSettled([...this.running.values()].map((r) => r.promise));
    await this.listener?.end().catch(() => undefined);
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Jobs holding a concurrency slot (running, not just waiting for a vendor task). */
  get activeCount(): number {
    let n = 0;
    for (const r of this.running.values()) if (!r.waiting) n++;
    return n;
  }

  private activeAt(siteId: string): number {
    let n = 0;
    for (const r of this.running.values()) if (!r.waiting && r.siteId === siteId) n++;
    return n;
  }

  private hasSlot(held: Held): boolean {
    return (
      this.activeCount < this.options.concurrency &&
      (!held.siteId || this.activeAt(held.siteId) < this.options.perSiteConcurrency)
    );
  }

  /**
   * Sets a slot aside for a job of `kind` at `siteId` that the caller is about to insert already
   * claimed, if this runner is running, handles the kind and has a slot free under the same limits
   * a claim respects (concurrency, per-site concurrency, held jobs; jobs back from a vendor wait
   * first). Undefined otherwise: the caller enqueues the job pending, as before. The slot counts
   * as taken from now on, so claims meanwhile leave room for it.
   */
  reserve(kind: string, siteId: string | null): JobReservation | undefined {
    if (!this.active || !this.handlers.has(kind)) return undefined;
    const perSite = siteId ? (this.runningPerSite()[siteId] ?? 0) : 0;
    const free =
      this.activeCount + this.resuming.length < this.options.concurrency &&
      this.running.size < this.maxHeld &&
      perSite < this.options.perSiteConcurrency;
    if (!free) return undefined;
    const key = `reserved:${++this.reservations}`;
    const held: Held = { siteId, promise: Promise.resolve(), waiting: false };
    this.running.set(key, held);
    let settled = false;
    return {
      leaseMs: this.options.leaseMs,
      start: (job) => {
        if (settled) return;
        settled = true;
        this.running.delete(key);
        this.launch(job, held);
      },
      cancel: () => {
        if (settled) return;
        settled = true;
        this.running.delete(key);
        this.slotFreed(siteId, true);
      },
    };
  }

  /** Gives freed slots to jobs back from a vendor wait, in order (a busy site's job lets others pass). */
  private grant(): void {
    if (this.claiming || this.resuming.length === 0) return; // after the claim: its jobs are counted first
    // hasSlot per waiting job would count the running jobs once per waiting job (quadratic with a
    // few hundred jobs waiting on vendor tasks): count them once, and follow what this pass grants.
    let active = 0;
    const activeBySite = new Map<string, number>();
    for (const r of this.running.values()) {
      if (r.waiting) continue;
      active++;
      if (r.siteId) activeBySite.set(r.siteId, (activeBySite.get(r.siteId) ?? 0) + 1);
    }
    for (let i = 0; i < this.resuming.length && active < this.options.concurrency;) {
      const r = this.resuming[i];
      const siteId = r.held.siteId;
      const atSite = siteId ? (activeBySite.get(siteId) ?? 0) : 0;
      if (siteId && atSite >= this.options.perSiteConcurrency) {
        i++;
        continue;
      }
      this.resuming.splice(i, 1);
      r.held.waiting = false;
      active++;
      if (siteId) activeBySite.set(siteId, atSite + 1);
      r.resume();
    }
  }

  /** The slot a job lends out while it waits for a vendor task (see waitForVendor). */
  private slotOf(held: Held): WaitSlot {
    return {
      release: () => {
        if (held.waiting) return;
        held.waiting = true;
        this.slotFreed(held.siteId, false);
      },
      reacquire: (signal) => {
        if (!held.waiting) return Promise.resolve();
        // Aborted (shutdown, lost lease): no slot needed to hand the job back.
        if (signal?.aborted || (!this.claiming && this.resuming.length === 0 && this.hasSlot(held))) {
          held.waiting = false;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          const entry = { held, resume: resolve };
          this.resuming.push(entry);
          signal?.addEventListener(
            'abort',
            () => {
              const i = this.resuming.indexOf(entry);
              if (i < 0) return;
              this.resuming.splice(i, 1);
              held.waiting = false;
              resolve();
            },
            { once: true },
          );
        });
      },
    };
  }

  private async run(): Promise<void> {
    const kinds = [...this.handlers.keys()];
    while (this.active) {
      try {
        this.notified = false;
        if (!this.listener) await this.listen();
        this.grant();
        // Slots not taken by running jobs or by jobs back from a vendor wait; and a bound on held jobs.
        const free = Math.min(
          this.options.concurrency - this.activeCount - this.resuming.length,
          this.maxHeld - this.running.size,
        );
        this.claiming = true;
        let claimed: Job[] = [];
        let next: number | undefined;
        const running = this.runningPerSite();
        try {
          if (free > 0) {
            const r = await this.jobs.claimDue(free, this.options.leaseMs, kinds, {
              limit: this.options.perSiteConcurrency,
              running,
            });
            claimed = r.jobs;
            next = r.nextDueMs;
          }
          this.leftOut = this.leftOutBy(free, claimed, running);
          for (const job of claimed) this.dispatch(job);
        } finally {
          this.claiming = false;
          this.grant();
        }
        // Without a free slot nothing can be claimed: a job that ends (or lends its slot out) wakes the
        // runner, so it sleeps until then (safety-net poll) instead of polling for due jobs.
        let wait = this.listener ? (this.options.idlePollMs ?? 30_000) : (this.options.pollIntervalMs ?? 1000);
        if (next !== undefined) wait = Math.min(wait, Math.max(10, next));
        if (claimed.length === free && free > 0) wait = 0; // maybe more due right now
        await this.sleep(wait);
      } catch (e) {
        this.logger.warn({ err: e }, 'job runner round failed');
        await this.sleep(1000);
      }
    }
  }

  /**
   * What a claim may have left due, as it saw the runner (counts taken when it started; jobs ending
   * meanwhile do not change them): any job when the claim was bound by the free slots (or not made),
   * and the jobs of the sites it filled or found full (also left out of its next due time).
   */
  private leftOutBy(free: number, claimed: Job[], running: Record<string, number>): LeftOut {
    const taken = { ...running };
    for (const job of claimed) if (job.siteId) taken[job.siteId] = (taken[job.siteId] ?? 0) + 1;
    const sites = Object.keys(taken).filter((site) => taken[site] >= this.options.perSiteConcurrency);
    return { all: free <= 0 || claimed.length >= free, sites: new Set(sites) };
  }

  /** Slots taken per site: running jobs and jobs back from a vendor wait (not those still waiting). */
  private runningPerSite(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.running.values()) if (r.siteId && !r.waiting) out[r.siteId] = (out[r.siteId] ?? 0) + 1;
    for (const { held } of this.resuming) if (held.siteId) out[held.siteId] = (out[held.siteId] ?? 0) + 1;
    return out;
  }

  private dispatch(job: Job): void {
    // Site busy, or every slot taken (a job handed over by this replica's consumer took one while
    // the claim was under way): hand it back for a moment without counting a failure.
    if (
      this.activeCount >= this.options.concurrency ||
      (job.siteId && this.runningPerSite()[job.siteId] >= this.options.perSiteConcurrency)
    ) {
      void this.releaseSoon(job, 200);
      return;
    }
    this.launch(job, { siteId: job.siteId, promise: Promise.resolve(), waiting: false });
  }

  /** Runs a job this runner holds the claim of (claimed, or inserted claimed and handed over). */
  private launch(job: Job, held: Held): void {
    // Keyed by claim: if this runner's own lease lapsed and it claims the job again, both runs are
    // tracked (the older one holds a superseded fence and can no longer write).
    const claim = `${job.id}:${job.fence}`;
    this.running.set(claim, held);
    // Handed over after the runner stopped: back to pending for any runner, not idle until its lease expires.
    const run = this.active ? this.execute(job, this.slotOf(held)) : this.releaseSoon(job, 0);
    held.promise = run.finally(() => {
      this.running.delete(claim);
      this.slotFreed(held.siteId, true);
    });
  }

  /**
   * A slot was just freed at `siteId` (a job ended or lends its slot out, a reservation was given
   * back; `held`: a held job is gone too). Jobs back from a vendor wait get it first. The runner
   * claims again only if the slot may let it take a due job it could not: a claim is under way (it
   * counted this slot as taken), the last claim left jobs out for want of slots or at this site
   * (leftOut), or the runner or the site was full just before. Otherwise the last claim took all it
   * could and a job that becomes pending since notifies: a claim after every job's end, which
   * mostly finds nothing now that jobs are handed over by this replica's consumer, is not needed.
   */
  private slotFreed(siteId: string | null, held: boolean): void {
    const claimAgain =
      this.claiming ||
      this.leftOut.all ||
      (siteId !== null && this.leftOut.sites.has(siteId)) ||
      this.activeCount + this.resuming.length + 1 >= this.options.concurrency ||
      (held && this.running.size + 1 >= this.maxHeld) ||
      (siteId !== null && (this.runningPerSite()[siteId] ?? 0) + 1 >= this.options.perSiteConcurrency);
    this.grant();
    if (claimAgain) this.wakeUp();
  }

  private releaseSoon(job: Job, delayMs: number): Promise<void> {
    return this.handBack
      .execute(() => this.jobs.release(job, delayMs))
      .then(
        () => undefined,
        (e: unknown) =>
          this.logger.error({ err: e, jobId: job.id }, 'could not hand a job back; it waits for its lease to expire'),
      );
  }

  private async execute(job: Job, slot: WaitSlot): Promise<void> {
    const handler = this.handlers.get(job.kind);
    if (!handler) {
      this.logger.error({ jobId: job.id, kind: job.kind }, 'no handler for job kind; handing it back');
      await this.handBack
        .execute(() => this.jobs.release(job, 60_000))
        .catch((e: unknown) =>
          this.logger.error({ err: e, jobId: job.id }, 'could not hand a job back; it waits for its lease to expire'),
        );
      return;
    }
    const log = this.logger.child({
      jobId: job.id,
      kind: job.kind,
      key: job.key,
      attempt: job.attempt,
      try: job.tries,
      fence: job.fence,
    });
    const leaseLost = new AbortController();
    const lease = this.keepLease(job, leaseLost, log);
    // Not AbortSignal.any: with the runner's own signal (alive as long as the process) as a source,
    // every job run would leave a reference on it for good (linkSignals; docs/performance.md, fix 9).
    const stopOrLeaseLost = linkSignals([this.abort.signal, leaseLost.signal]);
    const fenced = async (write: () => Promise<boolean>) => {
      if (!(await write())) throw new LeaseLostError(job.id);
    };
    const ctx: JobContext = {
      job,
      signal: stopOrLeaseLost.signal,
      record: (work) =>
        this.uow.run(async () => {
          await fenced(() => this.jobs.holdsLease(job));
          await work();
        }),
      write: async (statement) => {
        const r = await this.jobs.writeFenced(job, statement);
        if (!r.held) throw new LeaseLostError(job.id);
        return r.written;
      },
      query: async <R extends Record<string, unknown>>(query: FencedQuery) => {
        const r = await this.jobs.queryFenced<R>(job, query);
        if (!r.held) throw new LeaseLostError(job.id);
        return r.rows;
      },
      // The job's end is written first: its fenced UPDATE both checks the lease and locks the row
      // (a takeover's claim skips it) until the work commits with it, one round trip less than a
      // separate check. A lost lease rolls back before any of the work is written. Without work
      // the UPDATE alone is the whole (single-statement) transaction.
      succeed: async (work) => {
        if (!work) await fenced(() => this.jobs.markSucceeded(job));
        else
          await this.uow.run(async () => {
            await fenced(() => this.jobs.markSucceeded(job));
            await work();
          });
        return SETTLED;
      },
      fail: async (error, work) => {
        if (!work) await fenced(() => this.jobs.markFailed(job, error));
        else
          await this.uow.run(async () => {
            await fenced(() => this.jobs.markFailed(job, error));
            await work();
          });
        return SETTLED;
      },
      succeedWith: async (statements) => {
        await fenced(() => this.jobs.endFenced(job, { status: 'succeeded' }, statements));
        return SETTLED;
      },
      failWith: async (error, statements) => {
        await fenced(() => this.jobs.endFenced(job, { status: 'failed', error }, statements));
        return SETTLED;
      },
    };
    const operationId = (job.payload as { operationId?: unknown }).operationId;
    const context = {
      correlationId: job.correlationId ?? `job:${job.id}`,
      causationId: job.causationId ?? undefined,
      tenantId: (job.payload as { tenantId?: string }).tenantId ?? job.key,
      operationId: typeof operationId === 'string' ? operationId : undefined,
    };
    try {
      // One span per run, in the trace of the work that enqueued the job; vendor calls and emitted events nest under it.
      await withSpan(
        `job ${job.kind}`,
        { kind: SpanKind.CONSUMER, parent: job.traceContext, attributes: jobAttributes(job) },
        () => RequestContext.run(context, () => runWithWaitSlot(slot, () => handler.run(ctx))),
      );
    } catch (error) {
      await RequestContext.run(context, () => this.afterError(job, handler, ctx, error, leaseLost.signal, log));
    } finally {
      clearInterval(lease);
      stopOrLeaseLost.dispose();
    }
  }

  private async afterError(
    job: Job,
    handler: JobHandler,
    ctx: JobContext,
    error: unknown,
    leaseLost: AbortSignal,
    log: Logger,
  ): Promise<void> {
    if (error instanceof LeaseLostError || leaseLost.aborted) {
      log.warn({ err: error }, 'job abandoned: its lease was lost to another worker');
      return;
    }
    if (this.abort.signal.aborted) {
      await this.jobs
        .reschedule(job, 0, 'interrupted by shutdown')
        .catch((e: unknown) => log.warn({ err: e }, 'could not hand the job back'));
      return;
    }
    const permanent = error instanceof DomainError && !error.retryable;
    if (permanent || job.tries >= this.options.maxTries) {
      log.error({ err: error }, permanent ? 'job failed permanently' : 'job gave up after repeated failures');
      await handler
        .giveUp(ctx, error)
        .catch((e: unknown) => log.error({ err: e }, 'giveUp failed; job will be retried'));
      return;
    }
    const delay =
      Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (job.tries - 1)) * (0.8 + Math.random() * 0.4);
    log.warn({ err: error, delayMs: Math.round(delay) }, 'job failed; retrying later');
    const message = error instanceof Error ? error.message : String(error);
    const rescheduled = await this.handBack
      .execute(({ signal }) =>
        signal.aborted || leaseLost.aborted
          ? Promise.resolve(false)
          : this.jobs.reschedule(job, Math.round(delay), message),
      )
      .catch(
        (e: unknown) => (log.error({ err: e }, 'could not reschedule; the job waits for its lease to expire'), true),
      );
    if (!rescheduled) {
      log.warn('job not rescheduled: its lease was lost to another worker');
    }
  }

  /**
   * Renews the lease every third of its length. A renewal that finds the claim gone (taken over or
   * finished) aborts the job; so does failing to renew for a whole lease period (e.g. the database
   * is unreachable), because by then another worker may have taken the job.
   */
  private keepLease(job: Job, leaseLost: AbortController, log: Logger): NodeJS.Timeout {
    let lastRenewed = Date.now();
    const timer = setInterval(
      () => {
        this.jobs.renewLease(job, this.options.leaseMs).then(
          (held) => {
            if (held) lastRenewed = Date.now();
            else if (!leaseLost.signal.aborted) {
              log.warn('lease lost: the job was taken over; stopping');
              leaseLost.abort(new LeaseLostError(job.id));
            }
          },
          (e: unknown) => {
            log.warn({ err: e }, 'lease renewal failed');
            if (Date.now() - lastRenewed >= this.options.leaseMs && !leaseLost.signal.aborted) {
              log.warn('lease not renewed for a whole lease period; stopping the job');
              leaseLost.abort(new LeaseLostError(job.id));
            }
          },
        );
      },
      Math.max(1000, this.options.leaseMs / 3),
    );
    return timer;
  }

  private wakeUp(): void {
    this.notified = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.notified || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
