import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The last preflight of each site (issue 8): whether it can onboard, item by item, and how many
 * virtual servers its KSC already held that this platform did not make (placement counts them).
 * A separate table so that recording a preflight never locks the site row placement locks.
 * `next_due_at` is the scheduler's claim: the replica whose exclusive round set it runs the check.
 */
export class SitePreflight1765200000000 implements MigrationInterface {
  name = 'SitePreflight1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE site_preflight (
        site_id text PRIMARY KEY REFERENCES site (id) ON DELETE CASCADE,
        status text NULL CHECK (status IN ('passed', 'failed')),
        checks jsonb NOT NULL DEFAULT '[]'::jsonb,
        trigger text NULL,
        ksc_virtual_servers integer NULL,
        foreign_virtual_servers integer NOT NULL DEFAULT 0,
        checked_at timestamptz NULL,
        next_due_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE site_preflight`);
  }
}
