import { randomUUID } from 'node:crypto';
import { currentTraceCarrier, RequestContext, TraceCarrier } from '@tpo/platform';
import { Bind, chainStatement, ChainLink, GuardedStatement, guardedCtes, UnitOfWork } from '@tpo/persistence';

export type JobStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface Job<P = Record<string, unknown>> {
  id: string;
  kind: string;
  key: string;
  siteId: string | null;
  payload: P;
  status: JobStatus;
  attempt: number;
  tries: number;
  runAt: Date;
  lastError: string | null;
  /** W3C trace context of the work that enqueued or reopened the job. */
  traceContext: TraceCarrier | null;
  createdAt: Date;
  updatedAt: Date;
  /** Fencing token of the current claim: every write of a running job must present it. */
  fence: number;
  /** The order's (or operation's) correlation id, and the event or request that enqueued the job. */
  correlationId: string | null;
  causationId: string | null;
  /**
   * In memory only, never stored: what the statement that inserted this job already claimed (and
   * handed to this replica's runner) wrote for its handler, so the handler need not read it back
   * (e.g. the step it starts, StepIntake). Absent on every job claimed from the table; a handler
   * takes it once (the same object may be run again after a transient failure).
   */
  handedState?: unknown;
}

/** A claimed job as its holder knows it: the id and the fencing token of its claim. */
export type JobLease = Pick<Job, 'id' | 'fence'>;

/**
 * A data-modifying statement that applies only while a job's lease holds: `held` (see
 * GuardedStatement) is true only while the job's current claim is the writer's (fencing token),
 * with the job row locked until the statement commits.
 */
export type FencedStatement = GuardedStatement;

/**
 * Runs a FencedStatement (or several, as one statement) as the current holder of a job
 * (JobContext.write): one round trip, no transaction of its own; returns the rows written, throws
 * LeaseLostError after a takeover.
 */
export type FencedWriter = (statement: FencedStatement | FencedStatement[]) => Promise<number>;

/**
 * A statement that writes only while a job's lease holds and reads rows back, in one round trip
 * (JobContext.query): `ctes(held)` are common table expressions (`name AS (...)`, comma-separated),
 * whose writes must apply only where `held` is true (as in a GuardedStatement), and `select` the
 * SELECT that gives the rows. Parameters are `$1`..`$n` of `params`. The whole statement runs on
 * one snapshot: a table read in `select` shows its rows as they were before the CTEs wrote (take
 * written rows from their RETURNING).
 */
export interface FencedQuery {
  ctes(held: string): string;
  select: string;
  params: unknown[];
}

/** Runs a FencedQuery as the current holder of a job (JobContext.query); throws LeaseLostError after a takeover. */
export type FencedReader = <R extends Record<string, unknown>>(query: FencedQuery) => Promise<R[]>;

/** How a job ends (JobContext.succeedWith / failWith). */
export type JobEnd = { status: 'succeeded' } | { status: 'failed'; error: string };

/** The claimed jobs, and until when the runner may sleep (see claimDue). */
export interface ClaimResult {
  jobs: Job[];
  /** Until the next job is due or the next lease expires, if any (rows just claimed left out). */
  nextDueMs: number | undefined;
}

function toJob(r: Record<string, unknown>): Job {
  return {
    id: r.id as string,
    kind: r.kind as string,
    key: r.key as string,
    siteId: r.site_id as string | null,
    payload: r.payload as Record<string, unknown>,
    status: r.status as JobStatus,
    attempt: r.attempt as number,
    tries: r.tries as number,
    runAt: r.run_at as Date,
    lastError: r.last_error as string | null,
    traceContext: (r.trace_context as TraceCarrier | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    fence: Number(r.fence ?? 0),
    correlationId: (r.correlation_id as string | null) ?? null,
    causationId: (r.causation_id as string | null) ?? null,
  };
}

const COLUMNS =
  'id, kind, key, site_id, payload, status, attempt, tries, run_at, last_error, created_at, updated_at, fence, correlation_id, causation_id, trace_context';

const affected = (r: unknown): number => (Array.isArray(r) && typeof r[1] === 'number' ? r[1] : 0);

const traceJson = () => {
  const carrier = currentTraceCarrier();
  return carrier ? JSON.stringify(carrier) : null;
};

/**
 * A new job as a claim would hand it to its runner, for a row about to be inserted already claimed
 * (JobRepository.enqueueClaimed): first attempt and try, fencing token 1, the correlation, causation
 * and trace of the work in scope (the consumed event). The times are this process's, the row's the
 * database's (the runner reads neither).
 */
export function newClaimedJob(
  kind: string,
  key: string,
  payload: Record<string, unknown>,
  siteId: string | undefined,
): Job {
  const ctx = RequestContext.current();
  const now = new Date();
  return {
    id: randomUUID(),
    kind,
    key,
    siteId: siteId ?? null,
    payload,
    status: 'running',
    attempt: 1,
    tries: 1,
    runAt: now,
    lastError: null,
    traceContext: currentTraceCarrier() ?? null,
    createdAt: now,
    updatedAt: now,
    fence: 1,
    correlationId: ctx?.correlationId ?? null,
    causationId: ctx?.causationId ?? null,
  };
}

/** The INSERT of a job claimed at insertion (see enqueueClaimed); `from`: only for the rows of that gate. */
function claimedInsert(job: Job, leaseMs: number, bind: Bind, from?: string): string {
  return `INSERT INTO job (id, kind, key, site_id, payload, correlation_id, causation_id, trace_context, status, lease_until, tries, fence)
     SELECT ${bind(job.id)}::uuid, ${bind(job.kind)}::text, ${bind(job.key)}::text, ${bind(job.siteId)}::text, ${bind(JSON.stringify(job.payload))}::jsonb,
       ${bind(job.correlationId)}::text, ${bind(job.causationId)}::text, ${bind(job.traceContext ? JSON.stringify(job.traceContext) : null)}::jsonb,
       'running', now() + (${bind(String(leaseMs))} || ' milliseconds')::interval, ${bind(job.tries)}::int, ${bind(job.fence)}::bigint
     ${from ? `FROM ${from}` : ''} ON CONFLICT (kind, key) DO NOTHING RETURNING id`;
}

/** The only code that touches the `job` table. */
export class JobRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Enqueues (kind, key) once; a second enqueue of the same pair is a no-op returning false. The
   * correlation and causation ids of the work in scope (the event or request) go with the job.
   */
  async enqueue(kind: string, key: string, payload: object, siteId?: string): Promise<boolean> {
    const ctx = RequestContext.current();
    const rows: unknown[] = await this.uow
      .manager()
      .query(
        `INSERT INTO job (id, kind, key, site_id, payload, correlation_id, causation_id, trace_context) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8::jsonb) ON CONFLICT (kind, key) DO NOTHING RETURNING id`,
        [
          randomUUID(),
          kind,
          key,
          siteId ?? null,
          JSON.stringify(payload),
          ctx?.correlationId ?? null,
          ctx?.causationId ?? null,
          traceJson(),
        ],
      );
    return rows.length === 1;
  }

  /**
   * `enqueue` as a link of a chained statement (`chainStatement`), named `job`: the job is inserted
   * only for the rows of `gate` (e.g. a step record that was new), once per (kind, key).
   */
  enqueueLink(kind: string, key: string, payload: object, siteId: string | undefined, gate: string): ChainLink {
    const ctx = RequestContext.current();
    return {
      name: 'job',
      gate,
      text: (bind, from) =>
        `INSERT INTO job (id, kind, key, site_id, payload, correlation_id, causation_id, trace_context)
         SELECT ${bind(randomUUID())}::uuid, ${bind(kind)}::text, ${bind(key)}::text, ${bind(siteId ?? null)}::text, ${bind(JSON.stringify(payload))}::jsonb, ${bind(ctx?.correlationId ?? null)}::text, ${bind(ctx?.causationId ?? null)}::text, ${bind(traceJson())}::jsonb
         FROM ${from} ON CONFLICT (kind, key) DO NOTHING RETURNING id`,
    };
  }

  /**
   * Enqueues `job` (newClaimedJob) once, already claimed by its caller: the row is inserted running
   * with what a claim sets (lease until now + `leaseMs`, first try, fencing token 1), so its holder
   * runs it without a claim round trip, and the NOTIFY trigger (pending rows only) stays silent. If
   * the holder dies before running it, the lease expires and any runner claims it (fence 2). False
   * when (kind, key) already exists: nothing written, nothing to run.
   */
  async enqueueClaimed(job: Job, leaseMs: number): Promise<boolean> {
    const statement = chainStatement([{ name: 'job', text: (bind) => claimedInsert(job, leaseMs, bind) }]);
    const [row] = (await this.uow.manager().query(statement.text, statement.params)) as { job: number }[];
    return row.job === 1;
  }

  /** `enqueueClaimed` as a link of a chained statement, named `job`, inserted only for the rows of `gate`. */
  enqueueClaimedLink(job: Job, leaseMs: number, gate: string): ChainLink {
    return { name: 'job', gate, text: (bind, from) => claimedInsert(job, leaseMs, bind, from) };
  }

  /**
   * Claims due jobs (pending, or running with an expired lease) with SKIP LOCKED. With `perSite`,
   * claims at most `perSite.limit` jobs of a site minus those this worker already runs there
   * (`perSite.running`), so a busy site's jobs stay pending for others instead of being claimed
   * and handed back over and over.
   *
   * The same statement tells until when nothing else is due (`nextDueMs`): the earliest run_at or
   * lease expiry among the other pending or running jobs of these kinds. It leaves out the rows
   * it claims (its snapshot still shows them pending) and, with `perSite`, the due jobs of sites
   * this worker is now full at: it cannot take those before one of its own jobs there ends, which
   * wakes the runner anyway (counting them would make a saturated runner poll every few ms).
   */
  async claimDue(
    limit: number,
    leaseMs: number,
    kinds: string[],
    perSite?: { limit: number; running: Record<string, number> },
  ): Promise<ClaimResult> {
    if (limit <= 0 || kinds.length === 0) return { jobs: [], nextDueMs: undefined };
    const due = `status IN ('pending', 'running') AND run_at <= now() AND (lease_until IS NULL OR lease_until < now()) AND kind = ANY($3)`;
    const candidates = perSite
      ? `SELECT id FROM job WHERE id IN (
           SELECT id FROM (
             SELECT id, site_id, run_at, row_number() OVER (PARTITION BY site_id ORDER BY run_at) AS n FROM job WHERE ${due}
           ) c
           WHERE site_id IS NULL OR n <= $5::int - COALESCE(($4::jsonb ->> site_id)::int, 0)
           ORDER BY run_at LIMIT $1)
         ORDER BY run_at FOR UPDATE SKIP LOCKED`
      : `SELECT id FROM job WHERE ${due} ORDER BY run_at LIMIT $1 FOR UPDATE SKIP LOCKED`;
    // A due job of a site this worker is full at (after this claim) waits for one of its own jobs there.
    const siteFull = perSite
      ? `AND NOT (j.site_id IS NOT NULL AND j.run_at <= now() AND (j.lease_until IS NULL OR j.lease_until < now())
           AND COALESCE(($4::jsonb ->> j.site_id)::int, 0) + (SELECT count(*) FROM claimed c WHERE c.site_id = j.site_id) >= $5::int)`
      : '';
    const params: unknown[] = [limit, String(leaseMs), kinds];
    if (perSite) params.push(JSON.stringify(perSite.running), perSite.limit);
    const rows: Record<string, unknown>[] = await this.uow.manager().query(
      `WITH claimed AS (
         UPDATE job SET status = 'running', lease_until = now() + ($2 || ' milliseconds')::interval, tries = tries + 1, fence = fence + 1, updated_at = now()
         WHERE id IN (${candidates})
         RETURNING ${COLUMNS}),
       next AS (
         SELECT EXTRACT(EPOCH FROM (min(GREATEST(j.run_at, COALESCE(j.lease_until, j.run_at))) - now())) * 1000 AS next_due_ms
         FROM job j WHERE j.status IN ('pending', 'running') AND j.kind = ANY($3) AND j.id NOT IN (SELECT id FROM claimed) ${siteFull})
       SELECT next.next_due_ms, claimed.* FROM next LEFT JOIN claimed ON true`,
      params,
    );
    const ms = rows[0]?.next_due_ms;
    return {
      jobs: rows.filter((r) => r.id !== null && r.id !== undefined).map(toJob),
      nextDueMs: ms === null || ms === undefined ? undefined : Math.max(0, Number(ms)),
    };
  }

  /** Extends the lease; false when the claim is no longer this holder's (taken over or finished). */
  async renewLease(lease: JobLease, leaseMs: number): Promise<boolean> {
    const r = await this.uow
      .manager()
      .query(
        `UPDATE job SET lease_until = now() + ($3 || ' milliseconds')::interval WHERE id = $1 AND fence = $2 AND status = 'running'`,
        [lease.id, lease.fence, String(leaseMs)],
      );
    return affected(r) === 1;
  }

  /**
   * Locks the job row for the current transaction if `lease` is still the current claim; false
   * otherwise. Called first in every transaction that records a job's progress, so a stalled former
   * holder cannot write after a takeover (the claim query skips the locked row meanwhile).
   *
   * FOR SHARE, not FOR UPDATE: the holder's parallel progress writes (e.g. one per VM) do not
   * queue behind each other, while every change of the row still waits for the transaction: the
   * takeover's claim (`FOR UPDATE SKIP LOCKED`, then `fence = fence + 1`) skips the row, and any
   * plain UPDATE of it (renewal, hand-back, end) waits. FOR KEY SHARE would not do: it blocks only
   * FOR UPDATE and key changes, so an UPDATE that moved the fence or the status without an explicit
   * FOR UPDATE first (a non-key change takes FOR NO KEY UPDATE) would pass it and let a write
   * commit after the job changed hands. FOR SHARE holds whatever form such an UPDATE takes.
   */
  async holdsLease(lease: JobLease): Promise<boolean> {
    const rows: unknown[] = await this.uow
      .manager()
      .query(`SELECT id FROM job WHERE id = $1 AND fence = $2 AND status = 'running' FOR SHARE`, [
        lease.id,
        lease.fence,
      ]);
    return rows.length === 1;
  }

  /**
   * Runs `statement` only if `lease` is the job's current claim, in one statement: the job row is
   * locked FOR SHARE (as in holdsLease) and the write applies only when that lock found the row
   * with the lease's fencing token, so both commit together with no BEGIN/COMMIT round trips (or
   * join the transaction in scope). `held` is false when the lease is gone; nothing was written then.
   * Several statements (e.g. a sealed secret and the intent it goes with) are applied together as
   * one statement, each gated by the same lock; they run on one snapshot and must touch different
   * rows (as for endFenced); `written` is the sum of their rows.
   */
  async writeFenced(
    lease: JobLease,
    statement: FencedStatement | FencedStatement[],
  ): Promise<{ held: boolean; written: number }> {
    const statements = Array.isArray(statement) ? statement : [statement];
    const params: unknown[] = [lease.id, lease.fence];
    const held = 'EXISTS (SELECT 1 FROM lease)';
    const parts = guardedCtes(statements, held, params, true).map((cte) => `,\n       ${cte}`);
    const written = statements.length ? statements.map((_, i) => `(SELECT count(*) FROM w${i})`).join(' + ') : '0';
    const [row]: { held: number; written: number }[] = await this.uow.manager().query(
      `WITH lease AS MATERIALIZED (
         SELECT id FROM job WHERE id = $1 AND fence = $2 AND status = 'running' FOR SHARE)${parts.join('')}
       SELECT (SELECT count(*) FROM lease)::int AS held, (${written})::int AS written`,
      params,
    );
    if (row.held === 1) for (const s of statements) s.applied?.();
    return { held: row.held === 1, written: row.written };
  }

  /**
   * Runs `query` only if `lease` is the job's current claim, in one statement, as writeFenced does
   * (the job row locked FOR SHARE, the writes applied only when that lock found the lease), and
   * returns its rows. `held` is false when the lease is gone; nothing was written then.
   */
  async queryFenced<R extends Record<string, unknown>>(
    lease: JobLease,
    query: FencedQuery,
  ): Promise<{ held: boolean; rows: R[] }> {
    const n = query.params.length;
    // The lease's row joined with the query's: one row with only `held` when the query gave none.
    const rows: (Record<string, unknown> & { fenced_held: number; fenced_row: boolean | null })[] = await this.uow
      .manager()
      .query(
        `WITH lease AS MATERIALIZED (
           SELECT id FROM job WHERE id = $${n + 1} AND fence = $${n + 2} AND status = 'running' FOR SHARE),
         ${query.ctes('EXISTS (SELECT 1 FROM lease)')}
         SELECT l.fenced_held, q.* FROM (SELECT count(*)::int AS fenced_held FROM lease) l
           LEFT JOIN (SELECT true AS fenced_row, s.* FROM (${query.select}) s) q ON true`,
        [...query.params, lease.id, lease.fence],
      );
    return {
      held: rows[0]?.fenced_held === 1,
      rows: rows.filter((r) => r.fenced_row === true).map(({ fenced_held: _h, fenced_row: _r, ...row }) => row as R),
    };
  }

  /**
   * Ends the job as its current holder and applies `statements` (the step's state, its outbox rows)
   * in ONE statement, atomically and without BEGIN/COMMIT round trips: the job's fenced UPDATE locks
   * its row, and every statement applies only if that UPDATE found the lease (`held`). Returns false,
   * having written nothing, when the lease is gone. Statements run on one snapshot and must touch
   * different rows (PostgreSQL's rule for data-modifying WITH); several rows of one table (e.g. two
   * outbox events whose order matters) belong in one statement.
   */
  async endFenced(lease: JobLease, end: JobEnd, statements: FencedStatement[]): Promise<boolean> {
    const params: unknown[] = [
      end.status,
      end.status === 'failed' ? end.error.slice(0, 2000) : null,
      lease.id,
      lease.fence,
    ];
    const held = 'EXISTS (SELECT 1 FROM ended)';
    const parts = guardedCtes(statements, held, params, false).map((cte) => `, ${cte}`);
    const [row]: { held: number }[] = await this.uow.manager().query(
      `WITH ended AS (
         UPDATE job SET status = $1, lease_until = NULL, last_error = $2, updated_at = now()
          WHERE id = $3 AND fence = $4 AND status = 'running' RETURNING id)
       ${parts.join('\n       ')}
       SELECT count(*)::int AS held FROM ended`,
      params,
    );
    if (row.held !== 1) return false;
    for (const s of statements) s.applied?.();
    return true;
  }

  /** Hands a claimed job back untouched (e.g. its site is at its concurrency limit). */
  async release(lease: JobLease, delayMs: number): Promise<boolean> {
    const r = await this.uow
      .manager()
      .query(
        `UPDATE job SET status = 'pending', lease_until = NULL, tries = GREATEST(tries - 1, 0), run_at = now() + ($3 || ' milliseconds')::interval WHERE id = $1 AND fence = $2 AND status = 'running'`,
        [lease.id, lease.fence, String(delayMs)],
      );
    return affected(r) === 1;
  }

  async markSucceeded(lease: JobLease): Promise<boolean> {
    const r = await this.uow
      .manager()
      .query(
        `UPDATE job SET status = 'succeeded', lease_until = NULL, last_error = NULL, updated_at = now() WHERE id = $1 AND fence = $2 AND status = 'running'`,
        [lease.id, lease.fence],
      );
    return affected(r) === 1;
  }

  async markFailed(lease: JobLease, error: string): Promise<boolean> {
    const r = await this.uow
      .manager()
      .query(
        `UPDATE job SET status = 'failed', lease_until = NULL, last_error = $3, updated_at = now() WHERE id = $1 AND fence = $2 AND status = 'running'`,
        [lease.id, lease.fence, error.slice(0, 2000)],
      );
    return affected(r) === 1;
  }

  async reschedule(lease: JobLease, delayMs: number, error: string): Promise<boolean> {
    const r = await this.uow
      .manager()
      .query(
        `UPDATE job SET status = 'pending', lease_until = NULL, run_at = now() + ($3 || ' milliseconds')::interval, last_error = $4, updated_at = now() WHERE id = $1 AND fence = $2 AND status = 'running'`,
        [lease.id, lease.fence, String(delayMs), error.slice(0, 2000)],
      );
    return affected(r) === 1;
  }

  /** Re-opens a failed (or finished) job for a new business attempt, optionally with a new payload. */
  /**
   * Runs a finished job again (e.g. an operation that waited for another service's answer and
   * continues with its next steps); false when there is no such finished job.
   */
  async requeue(kind: string, key: string): Promise<boolean> {
    const rows: unknown[] = await this.uow.manager().query(
      `WITH requeued AS (
         UPDATE job SET status = 'pending', tries = 0, run_at = now(), lease_until = NULL, last_error = NULL, updated_at = now()
         WHERE kind = $1 AND key = $2 AND status IN ('succeeded', 'failed') RETURNING id)
       SELECT id FROM requeued`,
      [kind, key],
    );
    return rows.length === 1;
  }

  async reopen(kind: string, key: string, payload?: object): Promise<Job | undefined> {
    const rows: Record<string, unknown>[] = await this.uow.manager().query(
      `WITH reopened AS (
         UPDATE job SET status = 'pending', attempt = attempt + 1, tries = 0, run_at = now(), lease_until = NULL, last_error = NULL, updated_at = now(),
           payload = COALESCE($3::jsonb, payload), correlation_id = COALESCE($4, correlation_id), causation_id = COALESCE($5, causation_id),
           trace_context = COALESCE($6::jsonb, trace_context)
         WHERE kind = $1 AND key = $2 AND status = 'failed' RETURNING ${COLUMNS})
       SELECT * FROM reopened`,
      [
        kind,
        key,
        payload ? JSON.stringify(payload) : null,
        RequestContext.current()?.correlationId ?? null,
        RequestContext.current()?.causationId ?? null,
        traceJson(),
      ],
    );
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  async find(kind: string, key: string): Promise<Job | undefined> {
    const rows: Record<string, unknown>[] = await this.uow
      .manager()
      .query(`SELECT ${COLUMNS} FROM job WHERE kind = $1 AND key = $2`, [kind, key]);
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  async counts(): Promise<Record<JobStatus, number>> {
    const rows: { status: JobStatus; n: number }[] = await this.uow
      .manager()
      .query(`SELECT status, count(*)::int AS n FROM job GROUP BY status`);
    const out: Record<JobStatus, number> = { pending: 0, running: 0, succeeded: 0, failed: 0 };
    for (const r of rows) out[r.status] = r.n;
    return out;
  }
}
