import { MigrationInterface, QueryRunner } from 'typeorm';

/** Durable jobs: long-running work (external calls, task polling) outside any message's ack window. */
export class JobTable1764300000000 implements MigrationInterface {
  name = 'JobTable1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE job (
        id uuid PRIMARY KEY,
        kind text NOT NULL,
        key text NOT NULL,
        site_id text NULL,
        payload jsonb NOT NULL DEFAULT '{}'::jsonb,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
        attempt integer NOT NULL DEFAULT 1,
        tries integer NOT NULL DEFAULT 0,
        run_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz NULL,
        last_error text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT job_kind_key_uq UNIQUE (kind, key)
      )`);
    await q.query(`CREATE INDEX job_due_idx ON job (run_at) WHERE status IN ('pending', 'running')`);
    await q.query(`
      CREATE FUNCTION job_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA || '_job', '');
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER job_notify AFTER INSERT OR UPDATE OF status, run_at ON job FOR EACH STATEMENT EXECUTE FUNCTION job_notify()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER job_notify ON job`);
    await q.query(`DROP FUNCTION job_notify()`);
    await q.query(`DROP TABLE job`);
  }
}
