import { GuardedStatement, UnitOfWork } from '@tpo/persistence';
import { EventEnvelope } from '@tpo/contracts';
import { TraceCarrier } from '@tpo/platform';

export interface PendingOutboxRow {
  id: string;
  /** The row's position (absent on rows handed over after commit, see OutboxRepository.onCommitted). */
  seq?: string;
  eventKey: string;
  tenantId: string | null;
  envelope: EventEnvelope;
  /** W3C trace context of the work that emitted the event (sent as NATS headers). */
  traceContext: TraceCarrier | null;
}

/** A row to write to the outbox. */
export interface OutboxInsert {
  id: string;
  eventKey: string;
  tenantId?: string;
  envelope: EventEnvelope;
  traceContext?: TraceCarrier;
}

/** Receives rows this process wrote to the outbox, once their transaction committed. */
export type CommittedOutboxListener = (rows: PendingOutboxRow[]) => void;

/** The only code that touches the `outbox` table. */
export class OutboxRepository {
  private listener?: CommittedOutboxListener;

  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Registers the local relay: every row this repository inserts is handed to it, in insert order,
   * right after its transaction commits (nothing after a rollback; see UnitOfWork.onSettled), so it
   * can publish it without reading it back. The table stays the record: what is handed over is
   * also in it, and a process that dies before publishing leaves it there for the relay's poll.
   */
  onCommitted(listener: CommittedOutboxListener): void {
    this.listener = listener;
  }

  async insert(rows: OutboxInsert[]): Promise<void> {
    if (rows.length === 0) return;
    const statement = this.insertStatement(rows);
    await this.uow.manager().query(statement.text('TRUE'), statement.params);
    statement.applied?.();
  }

  /**
   * The rows' INSERT as one guarded statement (see GuardedStatement), for a caller that combines it
   * with others (a job's end: JobContext.succeedWith). The rows are one statement, in the given
   * order, so their `seq` (the relay's publishing order) follows it.
   */
  insertStatement(rows: OutboxInsert[]): GuardedStatement {
    const params: unknown[] = [];
    const tuples = rows.map((r, i) => {
      params.push(
        r.id,
        r.eventKey,
        r.tenantId ?? null,
        JSON.stringify(r.envelope),
        r.traceContext ? JSON.stringify(r.traceContext) : null,
      );
      return `($${i * 5 + 1}::uuid, $${i * 5 + 2}::text, $${i * 5 + 3}::uuid, $${i * 5 + 4}::jsonb, $${i * 5 + 5}::jsonb)`;
    });
    return {
      text: (held) =>
        `INSERT INTO outbox (id, event_key, tenant_id, envelope, trace_context)
         SELECT * FROM (VALUES ${tuples.join(', ')}) AS v(id, event_key, tenant_id, envelope, trace_context) WHERE ${held}`,
      params,
      applied: () => this.handOverAfterCommit(rows),
    };
  }

  private handOverAfterCommit(rows: OutboxInsert[]): void {
    const listener = this.listener;
    if (!listener) return;
    this.uow.onSettled((committed) => {
      if (!committed) return;
      listener(
        rows.map((r) => ({
          id: r.id,
          eventKey: r.eventKey,
          tenantId: r.tenantId ?? null,
          envelope: r.envelope,
          traceContext: r.traceContext ?? null,
        })),
      );
    });
  }

  /** This pool's `tpo.origin` (see serviceDataSourceOptions): the payload prefix of its rows' NOTIFY. */
  async origin(): Promise<string> {
    const [row]: { origin: string | null }[] = await this.uow
      .manager()
      .query(`SELECT current_setting('tpo.origin', true) AS origin`);
    return row?.origin ?? '';
  }

  async fetchPending(limit: number): Promise<PendingOutboxRow[]> {
    const rows: {
      id: string;
      seq: string;
      event_key: string;
      tenant_id: string | null;
      envelope: EventEnvelope;
      trace_context: TraceCarrier | null;
    }[] = await this.uow
      .manager()
      .query(
        `SELECT id, seq, event_key, tenant_id, envelope, trace_context FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
        [limit],
      );
    return rows.map((r) => ({
      id: r.id,
      seq: r.seq,
      eventKey: r.event_key,
      tenantId: r.tenant_id,
      envelope: r.envelope,
      traceContext: r.trace_context,
    }));
  }
  /** Marks rows published, in one statement. */
  async markPublished(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.uow.manager().query(`UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async recordFailure(id: string, error: string): Promise<void> {
    await this.uow
      .manager()
      .query(`UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [id, error.slice(0, 1000)]);
  }

  async backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
    const [row] = await this.uow
      .manager()
      .query(
        `SELECT count(*)::int AS count, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS age FROM outbox WHERE published_at IS NULL`,
      );
    return { count: row.count, oldestAgeSeconds: row.age };
  }

  async deletePublishedBefore(cutoff: Date): Promise<number> {
    const res = await this.uow.manager().query(`DELETE FROM outbox WHERE published_at < $1`, [cutoff]);
    return Array.isArray(res) ? Number(res[1] ?? 0) : 0;
  }
}
