import { MigrationInterface, QueryRunner } from 'typeorm';

export class TenantOnboarding1764400000000 implements MigrationInterface {
  name = 'TenantOnboarding1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE site (
        id text PRIMARY KEY,
        name text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        ksc_configured boolean NOT NULL DEFAULT true,
        max_virtual_servers integer NOT NULL CHECK (max_virtual_servers BETWEEN 1 AND 500),
        connection jsonb NOT NULL,
        credentials jsonb NOT NULL,
        source text NOT NULL CHECK (source IN ('config', 'api')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE tenant (
        id uuid PRIMARY KEY,
        order_id text NOT NULL,
        name text NOT NULL,
        admin_account_name text NOT NULL,
        site_id text NOT NULL REFERENCES site (id),
        status text NOT NULL CHECK (status IN ('onboarding', 'failed', 'ready')),
        current_step text NOT NULL,
        request jsonb NOT NULL,
        is_tenant_id text NULL,
        virtual_server_id text NULL,
        virtual_server_name text NULL,
        create_task_id text NULL,
        failure jsonb NULL,
        vm_summary jsonb NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        ready_at timestamptz NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX tenant_order_uq ON tenant (order_id)`);
    // Tenant names become KSC groups and vAS names; admin names are unique across a KSC and its vASs.
    await q.query(`CREATE UNIQUE INDEX tenant_name_uq ON tenant (lower(name))`);
    await q.query(`CREATE UNIQUE INDEX tenant_admin_account_uq ON tenant (lower(admin_account_name))`);
    await q.query(`CREATE INDEX tenant_list_idx ON tenant (status, site_id, created_at)`);
    await q.query(`
      CREATE TABLE tenant_step (
        tenant_id uuid NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
        step text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
        attempt integer NOT NULL DEFAULT 1,
        started_at timestamptz NULL,
        ended_at timestamptz NULL,
        external_task_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
        error_code text NULL,
        error_message text NULL,
        retryable boolean NULL,
        details jsonb NULL,
        PRIMARY KEY (tenant_id, step)
      )`);
    await q.query(`
      CREATE TABLE tenant_secret (
        tenant_id uuid PRIMARY KEY REFERENCES tenant (id) ON DELETE CASCADE,
        sealed jsonb NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        reveal_expires_at timestamptz NULL,
        revealed_at timestamptz NULL,
        revealed_by text NULL,
        destroyed_at timestamptz NULL,
        destroy_reason text NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tenant_secret`);
    await q.query(`DROP TABLE tenant_step`);
    await q.query(`DROP TABLE tenant`);
    await q.query(`DROP TABLE site`);
  }
}
