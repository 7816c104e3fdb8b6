import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Protection reports per tenant and period (the Integration Server's CSV, stored here with its
 * download progress so a crash resumes with a range request), and the licence alerts already sent
 * (once per key and crossing, not every monitoring round).
 */
export class ProtectionReports1765100000000 implements MigrationInterface {
  name = 'ProtectionReports1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE protection_report (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        site_id text NOT NULL,
        is_tenant_id text NOT NULL,
        period_from timestamptz NOT NULL,
        period_to timestamptz NOT NULL,
        trigger text NOT NULL CHECK (trigger IN ('schedule', 'on-demand')),
        requested_by text NULL,
        status text NOT NULL CHECK (status IN ('pending', 'generating', 'downloading', 'ready', 'failed')),
        generate_intent_at timestamptz NULL,
        is_task_id text NULL,
        is_report_id text NULL,
        content bytea NULL,
        bytes_downloaded integer NOT NULL DEFAULT 0,
        bytes_total integer NULL,
        row_count integer NULL,
        protected_vms integer NULL,
        sha256 text NULL,
        error_code text NULL,
        error_message text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        ready_at timestamptz NULL,
        CHECK (period_from < period_to),
        UNIQUE (tenant_id, period_from, period_to)
      )`);
    await q.query(`CREATE INDEX protection_report_site_idx ON protection_report (site_id, created_at DESC)`);
    await q.query(`CREATE INDEX protection_report_tenant_idx ON protection_report (tenant_id, period_to DESC)`);
    await q.query(`
      CREATE TABLE license_alert (
        site_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('expiring', 'limit-reached')),
        subject text NOT NULL,
        raised_at timestamptz NOT NULL DEFAULT now(),
        detail jsonb NULL,
        PRIMARY KEY (site_id, kind, subject)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE license_alert`);
    await q.query(`DROP TABLE protection_report`);
  }
}
