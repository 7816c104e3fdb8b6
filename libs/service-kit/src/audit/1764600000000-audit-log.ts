import { MigrationInterface, QueryRunner } from 'typeorm';

/** Who did what, when, from where: every admin action on this service. */
export class AuditLog1764600000000 implements MigrationInterface {
  name = 'AuditLog1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        roles text[] NOT NULL DEFAULT '{}',
        via text NOT NULL,
        action text NOT NULL,
        target text NULL,
        outcome integer NOT NULL,
        source_ip text NULL,
        correlation_id text NULL
      )`);
    await q.query(`CREATE INDEX audit_log_at_idx ON audit_log (at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
  }
}
