import { UnitOfWork } from '@tpo/persistence';

/** The only code that touches the `inbox` table. */
export class InboxRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Claims (consumer, event id) inside the caller's transaction. False means the event was
   * already applied; a concurrent claimer waits on the primary key until the first commits.
   */
  async claim(consumer: string, eventId: string, eventType: string): Promise<boolean> {
    const rows: unknown[] = await this.uow
      .manager()
      .query(
        `INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING event_id`,
        [consumer, eventId, eventType],
      );
    return rows.length === 1;
  }

  async count(consumer: string, eventId: string): Promise<number> {
    const [row] = await this.uow
      .manager()
      .query(`SELECT count(*)::int AS n FROM inbox WHERE consumer = $1 AND event_id = $2`, [consumer, eventId]);
    return row.n;
  }

  async deleteProcessedBefore(cutoff: Date): Promise<void> {
    await this.uow.manager().query(`DELETE FROM inbox WHERE processed_at < $1`, [cutoff]);
  }
}
