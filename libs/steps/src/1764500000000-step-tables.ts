import { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-tenant step records (input, status, output) and per-VM states of the onboarding step services. */
export class StepTables1764500000000 implements MigrationInterface {
  name = 'StepTables1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE step_work (
        tenant_id uuid NOT NULL,
        step text NOT NULL,
        site_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
        attempt integer NOT NULL DEFAULT 1,
        input jsonb NOT NULL,
        output jsonb NULL,
        error_code text NULL,
        error_message text NULL,
        retryable boolean NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, step)
      )`);
    await q.query(`CREATE INDEX step_work_site_idx ON step_work (site_id, status)`);
    await q.query(`
      CREATE TABLE step_vm (
        tenant_id uuid NOT NULL,
        step text NOT NULL,
        bios_uuid uuid NOT NULL,
        name text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'in_progress', 'succeeded', 'failed')),
        detail jsonb NULL,
        error_code text NULL,
        error_message text NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, step, bios_uuid),
        FOREIGN KEY (tenant_id, step) REFERENCES step_work (tenant_id, step) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE step_vm`);
    await q.query(`DROP TABLE step_work`);
  }
}
