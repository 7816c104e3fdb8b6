import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 10: a step service runs its step once per tenant operation, not once per tenant. Step
 * records and their per-VM rows get a run id: '' for the tenant's onboarding (every existing row),
 * the operation id for a later operation (e.g. add-vms), taken from the triggering event's
 * `operationid`. Existing data is kept as the onboarding's run.
 */
export class StepRuns1765100000001 implements MigrationInterface {
  name = 'StepRuns1765100000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE step_vm DROP CONSTRAINT step_vm_tenant_id_step_fkey`);
    await q.query(`ALTER TABLE step_vm DROP CONSTRAINT step_vm_pkey`);
    await q.query(`ALTER TABLE step_work DROP CONSTRAINT step_work_pkey`);
    await q.query(`ALTER TABLE step_work ADD COLUMN run_id text NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE step_vm ADD COLUMN run_id text NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE step_work ADD PRIMARY KEY (tenant_id, step, run_id)`);
    await q.query(`ALTER TABLE step_vm ADD PRIMARY KEY (tenant_id, step, run_id, bios_uuid)`);
    await q.query(
      `ALTER TABLE step_vm ADD CONSTRAINT step_vm_work_fkey FOREIGN KEY (tenant_id, step, run_id) REFERENCES step_work (tenant_id, step, run_id) ON DELETE CASCADE`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM step_work WHERE run_id <> ''`);
    await q.query(`ALTER TABLE step_vm DROP CONSTRAINT step_vm_work_fkey`);
    await q.query(`ALTER TABLE step_vm DROP CONSTRAINT step_vm_pkey`);
    await q.query(`ALTER TABLE step_work DROP CONSTRAINT step_work_pkey`);
    await q.query(`ALTER TABLE step_vm DROP COLUMN run_id`);
    await q.query(`ALTER TABLE step_work DROP COLUMN run_id`);
    await q.query(`ALTER TABLE step_work ADD PRIMARY KEY (tenant_id, step)`);
    await q.query(`ALTER TABLE step_vm ADD PRIMARY KEY (tenant_id, step, bios_uuid)`);
    await q.query(
      `ALTER TABLE step_vm ADD CONSTRAINT step_vm_tenant_id_step_fkey FOREIGN KEY (tenant_id, step) REFERENCES step_work (tenant_id, step) ON DELETE CASCADE`,
    );
  }
}
