import { UnitOfWork } from '@tpo/persistence';
import { EventEnvelope } from '@tpo/contracts';

export interface PendingOutboxRow {
  id: string;
  seq: string;
  eventKey: string;
  tenantId: string | null;
  envelope: EventEnvelope;
}

/** The only code that touches the `outbox` table. */
export class OutboxRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(rows: { id: string; eventKey: string; tenantId?: string; envelope: EventEnvelope }[]): Promise<void> {
    if (rows.length === 0) return;
    const values: unknown[] = [];
    const tuples = rows.map((r, i) => {
      values.push(r.id, r.eventKey, r.tenantId ?? null, JSON.stringify(r.envelope));
      return `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4}::jsonb)`;
    });
    await this.uow.manager().query(`INSERT INTO outbox (id, event_key, tenant_id, envelope) VALUES ${tuples.join(', ')}`, values);
  }

  async fetchPending(limit: number): Promise<PendingOutboxRow[]> {
    const rows: { id: string; seq: string; event_key: string; tenant_id: string | null; envelope: EventEnvelope }[] = await this.uow
      .manager()
      .query(`SELECT id, seq, event_key, tenant_id, envelope FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1`, [limit]);
    return rows.map((r) => ({ id: r.id, seq: r.seq, eventKey: r.event_key, tenantId: r.tenant_id, envelope: r.envelope }));
  }

  async markPublished(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.uow.manager().query(`UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async recordFailure(id: string, error: string): Promise<void> {
    await this.uow.manager().query(`UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1`, [id, error.slice(0, 1000)]);
  }

  async backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
    const [row] = await this.uow
      .manager()
      .query(`SELECT count(*)::int AS count, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS age FROM outbox WHERE published_at IS NULL`);
    return { count: row.count, oldestAgeSeconds: row.age };
  }

  async deletePublishedBefore(cutoff: Date): Promise<number> {
    const res = await this.uow.manager().query(`DELETE FROM outbox WHERE published_at < $1`, [cutoff]);
    return Array.isArray(res) ? Number(res[1] ?? 0) : 0;
  }
}
