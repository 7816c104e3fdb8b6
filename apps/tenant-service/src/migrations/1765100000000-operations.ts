import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 10: every change to a tenant is an operation (onboard, add-vms, remove-vms, suspend, resume,
 * deprovision) with its own id, requester, state and steps; the tenant's lifecycle status is kept
 * apart from operation progress. Existing data is kept: every existing tenant gets its onboarding
 * as an `onboard` operation (state from the tenant's status), and a lifecycle derived from it.
 * At most one operation runs per tenant at a time (partial unique index).
 */
export class Operations1765100000000 implements MigrationInterface {
  name = 'Operations1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tenant
        ADD COLUMN lifecycle text NOT NULL DEFAULT 'onboarding'
          CHECK (lifecycle IN ('onboarding', 'active', 'suspended', 'deprovisioning', 'deprovisioned', 'failed')),
        ADD COLUMN lifecycle_reason text NULL,
        ADD COLUMN lifecycle_changed_at timestamptz NULL`);
    await q.query(
      `UPDATE tenant SET lifecycle = CASE status WHEN 'ready' THEN 'active' WHEN 'failed' THEN 'failed' ELSE 'onboarding' END, lifecycle_changed_at = updated_at`,
    );
    await q.query(`
      CREATE TABLE operation (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('onboard', 'add-vms', 'remove-vms', 'suspend', 'resume', 'deprovision')),
        requester text NOT NULL,
        correlation_id text NULL,
        request_id text NULL,
        state text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
        reason text NULL,
        scope jsonb NULL,
        result jsonb NULL,
        error_code text NULL,
        error_message text NULL,
        retryable boolean NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz NULL
      )`);
    // One operation at a time per tenant: a second one is refused (409 with the running one's id).
    await q.query(`CREATE UNIQUE INDEX operation_one_running_uq ON operation (tenant_id) WHERE state = 'running'`);
    // An order system's request id makes a redelivered or repeated request the same operation.
    await q.query(
      `CREATE UNIQUE INDEX operation_request_uq ON operation (tenant_id, kind, request_id) WHERE request_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX operation_tenant_idx ON operation (tenant_id, created_at)`);
    await q.query(`
      CREATE TABLE operation_step (
        operation_id uuid NOT NULL REFERENCES operation (id) ON DELETE CASCADE,
        step text NOT NULL,
        seq integer NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
        attempt integer NOT NULL DEFAULT 1,
        started_at timestamptz NULL,
        ended_at timestamptz NULL,
        detail jsonb NULL,
        error_code text NULL,
        error_message text NULL,
        PRIMARY KEY (operation_id, step)
      )`);
    await q.query(`
      INSERT INTO operation (id, tenant_id, kind, requester, state, error_code, error_message, retryable, created_at, updated_at, ended_at, request_id)
      SELECT gen_random_uuid(), id, 'onboard', 'order:' || order_id,
             CASE status WHEN 'ready' THEN 'succeeded' WHEN 'failed' THEN 'failed' ELSE 'running' END,
             failure->>'code', failure->>'message', (failure->>'retryable')::boolean,
             created_at, updated_at, CASE status WHEN 'ready' THEN ready_at WHEN 'failed' THEN updated_at END, order_id
      FROM tenant`);
    await q.query(`ALTER TABLE tenant_step ADD COLUMN operation_id uuid NULL`);
    await q.query(
      `UPDATE tenant_step s SET operation_id = o.id FROM operation o WHERE o.tenant_id = s.tenant_id AND o.kind = 'onboard'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenant_step DROP COLUMN operation_id`);
    await q.query(`DROP TABLE operation_step`);
    await q.query(`DROP TABLE operation`);
    await q.query(
      `ALTER TABLE tenant DROP COLUMN lifecycle, DROP COLUMN lifecycle_reason, DROP COLUMN lifecycle_changed_at`,
    );
  }
}
