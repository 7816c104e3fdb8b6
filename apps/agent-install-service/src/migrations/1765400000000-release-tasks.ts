import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 10: the agent-removal job (remove-VMs, deprovision) records every KSC task it creates, so
 * that a re-run after a crash polls the same task instead of creating a new one. One row per task
 * of a release (`task_key`: `deinstall:<product>` or `reconnection`): the task id and the devices
 * attached to it (committed right after creation), when RunTask was called, and each VM's result
 * once the task ended (`outcomes`; the task is then deleted on the KSC).
 */
export class ReleaseTasks1765400000000 implements MigrationInterface {
  name = 'ReleaseTasks1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE release_task (
        tenant_id text NOT NULL,
        operation_id text NOT NULL,
        task_key text NOT NULL,
        task_id text NOT NULL,
        hosts jsonb NOT NULL,
        attached boolean NOT NULL DEFAULT false,
        started_at bigint NULL,
        outcomes jsonb NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, operation_id, task_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE release_task`);
  }
}
