import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 10: a tenant's VM inventory changes after onboarding (add-vms, remove-vms). Each VM is a
 * row: `active` (the tenant's), `adding` / `removing` (an operation is on it), `removed`, `failed`
 * (an add that did not make it). Existing tenants' ordered VMs become `active` rows (deprovisioned
 * tenants have none). A BIOS id belongs to at most one tenant at a time (partial unique index).
 */
export class TenantVms1765300000000 implements MigrationInterface {
  name = 'TenantVms1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_vm (
        tenant_id uuid NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
        bios_uuid uuid NOT NULL,
        name text NOT NULL,
        os_family text NOT NULL,
        address text NOT NULL,
        state text NOT NULL CHECK (state IN ('active', 'adding', 'removing', 'removed', 'failed')),
        operation_id uuid NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, bios_uuid)
      )`);
    await q.query(
      `CREATE INDEX tenant_vm_bios_idx ON tenant_vm (bios_uuid) WHERE state IN ('active', 'adding', 'removing')`,
    );
    await q.query(`
      INSERT INTO tenant_vm (tenant_id, bios_uuid, name, os_family, address, state)
      SELECT DISTINCT ON (t.id, lower(v->>'biosUuid')) t.id, (v->>'biosUuid')::uuid, v->>'name', v->>'osFamily', v->>'address', 'active'
      FROM tenant t, jsonb_array_elements(t.request->'vms') v
      WHERE t.lifecycle <> 'deprovisioned'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tenant_vm`);
  }
}
