import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tpo/persistence';

export interface PingHop {
  pingId: string;
  hop: number;
  eventId: string | null;
  route: string[];
  note: string | null;
  recordedAt: Date;
}

@Injectable()
export class PingHopRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(h: Omit<PingHop, 'recordedAt'>): Promise<void> {
    await this.uow
      .manager()
      .query(`INSERT INTO backbone_ping_hop (ping_id, hop, event_id, route, note) VALUES ($1, $2, $3, $4, $5)`, [
        h.pingId,
        h.hop,
        h.eventId,
        h.route,
        h.note,
      ]);
  }

  async findByPing(pingId: string): Promise<PingHop[]> {
    const rows: Record<string, unknown>[] = await this.uow
      .manager()
      .query(
        `SELECT ping_id, hop, event_id, route, note, recorded_at FROM backbone_ping_hop WHERE ping_id = $1 ORDER BY hop`,
        [pingId],
      );
    return rows.map((r) => ({
      pingId: r.ping_id as string,
      hop: r.hop as number,
      eventId: r.event_id as string | null,
      route: r.route as string[],
      note: r.note as string | null,
      recordedAt: r.recorded_at as Date,
    }));
  }
}
