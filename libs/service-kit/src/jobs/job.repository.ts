import { randomUUID } from 'node:crypto';
import { UnitOfWork } from '@tpo/persistence';

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
  createdAt: Date;
  updatedAt: Date;
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
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

const COLUMNS = 'id, kind, key, site_id, payload, status, attempt, tries, run_at, last_error, created_at, updated_at';

/** The only code that touches the `job` table. */
export class JobRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** Enqueues (kind, key) once; a second enqueue of the same pair is a no-op returning false. */
  async enqueue(kind: string, key: string, payload: object, siteId?: string): Promise<boolean> {
    const rows: unknown[] = await this.uow
      .manager()
      .query(`INSERT INTO job (id, kind, key, site_id, payload) VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (kind, key) DO NOTHING RETURNING id`, [
        randomUUID(),
        kind,
        key,
        siteId ?? null,
        JSON.stringify(payload),
      ]);
    return rows.length === 1;
  }

  /** Claims due jobs (pending, or running with an expired lease) with SKIP LOCKED. */
  async claimDue(limit: number, leaseMs: number, kinds: string[]): Promise<Job[]> {
    if (limit <= 0 || kinds.length === 0) return [];
    const rows: Record<string, unknown>[] = await this.uow.manager().query(
      // Wrapped in a CTE so the driver returns plain rows (an UPDATE answers [rows, count]).
      `WITH claimed AS (
         UPDATE job SET status = 'running', lease_until = now() + ($2 || ' milliseconds')::interval, tries = tries + 1, updated_at = now()
         WHERE id IN (
           SELECT id FROM job
           WHERE status IN ('pending', 'running') AND run_at <= now() AND (lease_until IS NULL OR lease_until < now()) AND kind = ANY($3)
           ORDER BY run_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING ${COLUMNS})
       SELECT * FROM claimed`,
      [limit, String(leaseMs), kinds],
    );
    return rows.map(toJob);
  }

  async renewLease(id: string, leaseMs: number): Promise<void> {
    await this.uow
      .manager()
      .query(`UPDATE job SET lease_until = now() + ($2 || ' milliseconds')::interval WHERE id = $1 AND status = 'running'`, [id, String(leaseMs)]);
  }

  /** Hands a claimed job back untouched (e.g. its site is at its concurrency limit). */
  async release(id: string, delayMs: number): Promise<void> {
    await this.uow
      .manager()
      .query(`UPDATE job SET status = 'pending', lease_until = NULL, tries = GREATEST(tries - 1, 0), run_at = now() + ($2 || ' milliseconds')::interval WHERE id = $1`, [
        id,
        String(delayMs),
      ]);
  }

  async markSucceeded(id: string): Promise<void> {
    await this.uow.manager().query(`UPDATE job SET status = 'succeeded', lease_until = NULL, last_error = NULL, updated_at = now() WHERE id = $1`, [id]);
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.uow.manager().query(`UPDATE job SET status = 'failed', lease_until = NULL, last_error = $2, updated_at = now() WHERE id = $1`, [id, error.slice(0, 2000)]);
  }

  async reschedule(id: string, delayMs: number, error: string): Promise<void> {
    await this.uow
      .manager()
      .query(`UPDATE job SET status = 'pending', lease_until = NULL, run_at = now() + ($2 || ' milliseconds')::interval, last_error = $3, updated_at = now() WHERE id = $1`, [
        id,
        String(delayMs),
        error.slice(0, 2000),
      ]);
  }

  /** Re-opens a failed (or finished) job for a new business attempt, optionally with a new payload. */
  async reopen(kind: string, key: string, payload?: object): Promise<Job | undefined> {
    const rows: Record<string, unknown>[] = await this.uow.manager().query(
      `WITH reopened AS (
         UPDATE job SET status = 'pending', attempt = attempt + 1, tries = 0, run_at = now(), lease_until = NULL, last_error = NULL, updated_at = now(),
           payload = COALESCE($3::jsonb, payload)
         WHERE kind = $1 AND key = $2 AND status = 'failed' RETURNING ${COLUMNS})
       SELECT * FROM reopened`,
      [kind, key, payload ? JSON.stringify(payload) : null],
    );
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  async find(kind: string, key: string): Promise<Job | undefined> {
    const rows: Record<string, unknown>[] = await this.uow.manager().query(`SELECT ${COLUMNS} FROM job WHERE kind = $1 AND key = $2`, [kind, key]);
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  /** Until the next pending job is due or the next lease expires (a crashed worker's job), if any. */
  async nextDueInMs(kinds: string[]): Promise<number | undefined> {
    const [row] = await this.uow
      .manager()
      .query(
        `SELECT EXTRACT(EPOCH FROM (min(GREATEST(run_at, COALESCE(lease_until, run_at))) - now())) * 1000 AS ms FROM job WHERE status IN ('pending', 'running') AND kind = ANY($1)`,
        [kinds],
      );
    return row?.ms === null || row?.ms === undefined ? undefined : Math.max(0, Number(row.ms));
  }

  async counts(): Promise<Record<JobStatus, number>> {
    const rows: { status: JobStatus; n: number }[] = await this.uow.manager().query(`SELECT status, count(*)::int AS n FROM job GROUP BY status`);
    const out: Record<JobStatus, number> = { pending: 0, running: 0, succeeded: 0, failed: 0 };
    for (const r of rows) out[r.status] = r.n;
    return out;
  }
}
