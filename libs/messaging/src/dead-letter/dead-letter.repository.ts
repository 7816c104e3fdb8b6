import { UnitOfWork } from '@tpo/persistence';

export type DeadLetterStatus = 'pending' | 'replayed' | 'discarded';

export interface DeadLetter {
  id: string;
  consumer: string;
  subject: string;
  streamSeq: number | null;
  eventId: string | null;
  eventType: string | null;
  tenantId: string | null;
  reason: string;
  deliveries: number;
  payload: string;
  status: DeadLetterStatus;
  createdAt: Date;
  replayedAt: Date | null;
  replayAttempts: number;
  lastReplayError: string | null;
}

export type NewDeadLetter = Pick<
  DeadLetter,
  'consumer' | 'subject' | 'streamSeq' | 'eventId' | 'eventType' | 'tenantId' | 'reason' | 'deliveries' | 'payload'
>;

const COLUMNS = `id, consumer, subject, stream_seq, event_id, event_type, tenant_id, reason, deliveries, payload, status, created_at,
  replayed_at, replay_attempts, last_replay_error`;

function toDeadLetter(r: Record<string, unknown>): DeadLetter {
  return {
    id: r.id as string,
    consumer: r.consumer as string,
    subject: r.subject as string,
    streamSeq: r.stream_seq === null ? null : Number(r.stream_seq),
    eventId: r.event_id as string | null,
    eventType: r.event_type as string | null,
    tenantId: r.tenant_id as string | null,
    reason: r.reason as string,
    deliveries: r.deliveries as number,
    payload: r.payload as string,
    status: r.status as DeadLetterStatus,
    createdAt: r.created_at as Date,
    replayedAt: r.replayed_at as Date | null,
    replayAttempts: r.replay_attempts as number,
    lastReplayError: r.last_replay_error as string | null,
  };
}

/** The only code that touches the `dead_letter` table. */
export class DeadLetterRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async record(d: NewDeadLetter): Promise<void> {
    await this.uow.manager().query(
      `INSERT INTO dead_letter (consumer, subject, stream_seq, event_id, event_type, tenant_id, reason, deliveries, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
      [
        d.consumer,
        d.subject,
        d.streamSeq,
        d.eventId,
        d.eventType,
        d.tenantId,
        d.reason.slice(0, 4000),
        d.deliveries,
        d.payload,
      ],
    );
  }

  async list(filter: {
    status?: DeadLetterStatus;
    limit: number;
    offset: number;
  }): Promise<{ items: DeadLetter[]; total: number }> {
    const where = filter.status ? 'WHERE status = $1' : '';
    const params: unknown[] = filter.status ? [filter.status] : [];
    const m = this.uow.manager();
    const rows = await m.query(
      `SELECT ${COLUMNS} FROM dead_letter ${where} ORDER BY created_at DESC, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, filter.limit, filter.offset],
    );
    const [{ n }] = await m.query(`SELECT count(*)::int AS n FROM dead_letter ${where}`, params);
    return { items: rows.map(toDeadLetter), total: n };
  }

  /** Locks the row for the replay transaction so two replays of one letter cannot both run. */
  async findForUpdate(id: string): Promise<DeadLetter | undefined> {
    const rows = await this.uow.manager().query(`SELECT ${COLUMNS} FROM dead_letter WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ? toDeadLetter(rows[0]) : undefined;
  }

  async findById(id: string): Promise<DeadLetter | undefined> {
    const rows = await this.uow.manager().query(`SELECT ${COLUMNS} FROM dead_letter WHERE id = $1`, [id]);
    return rows[0] ? toDeadLetter(rows[0]) : undefined;
  }

  async markReplayed(id: string): Promise<void> {
    await this.uow
      .manager()
      .query(
        `UPDATE dead_letter SET status = 'replayed', replayed_at = now(), replay_attempts = replay_attempts + 1 WHERE id = $1`,
        [id],
      );
  }

  async recordReplayFailure(id: string, error: string): Promise<void> {
    await this.uow
      .manager()
      .query(`UPDATE dead_letter SET replay_attempts = replay_attempts + 1, last_replay_error = $2 WHERE id = $1`, [
        id,
        error.slice(0, 4000),
      ]);
  }

  async countPending(): Promise<number> {
    const [{ n }] = await this.uow
      .manager()
      .query(`SELECT count(*)::int AS n FROM dead_letter WHERE status = 'pending'`);
    return n;
  }
}
