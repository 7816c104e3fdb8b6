import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 11 (P4, P6): the tenant list is newest first (`ORDER BY created_at DESC, id DESC`), all
 * tenants or those of some sites. Without these indexes every page sorted the whole table (a
 * sequential scan of every tenant with its order document); with them a page reads its rows and stops.
 * The reveal-window sweep (`destroyed_at IS NULL AND reveal_expires_at < now()`) read every secret
 * each round; its partial index holds only the secrets still in place.
 */
export class TenantListIndexes1765400000000 implements MigrationInterface {
  name = 'TenantListIndexes1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX tenant_created_idx ON tenant (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX tenant_site_created_idx ON tenant (site_id, created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX tenant_secret_reveal_expiry_idx ON tenant_secret (reveal_expires_at) WHERE destroyed_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tenant_secret_reveal_expiry_idx`);
    await q.query(`DROP INDEX tenant_site_created_idx`);
    await q.query(`DROP INDEX tenant_created_idx`);
  }
}
