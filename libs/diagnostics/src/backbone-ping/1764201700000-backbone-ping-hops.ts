import { MigrationInterface, QueryRunner } from 'typeorm';

export class BackbonePingHops1764201700000 implements MigrationInterface {
  name = 'BackbonePingHops1764201700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE backbone_ping_hop (
        ping_id uuid NOT NULL,
        hop integer NOT NULL,
        event_id uuid NULL,
        route text[] NOT NULL,
        note text NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (ping_id, hop)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE backbone_ping_hop`);
  }
}
