import { Injectable } from '@nestjs/common';
import { GuardedStatement, UnitOfWork } from '@tpo/persistence';
import { SealedSecret } from '@tpo/secrets';

export interface TenantSecretRecord {
  tenantId: string;
  sealed: SealedSecret | null;
  createdAt: Date;
  revealExpiresAt: Date | null;
  revealedAt: Date | null;
  revealedBy: string | null;
  destroyedAt: Date | null;
  destroyReason: string | null;
}

/** The only code that touches `tenant_secret` (envelope-encrypted admin passwords). */
@Injectable()
export class TenantSecretRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(tenantId: string, sealed: SealedSecret): Promise<void> {
    await this.uow
      .manager()
      .query(`INSERT INTO tenant_secret (tenant_id, sealed) VALUES ($1, $2::jsonb)`, [
        tenantId,
        JSON.stringify(sealed),
      ]);
  }

  /** `insert` as a guarded statement (written with step 1's intent by the job's fenced write, in one statement). */
  insertStatement(tenantId: string, sealed: SealedSecret): GuardedStatement {
    return {
      text: (held) => `INSERT INTO tenant_secret (tenant_id, sealed) SELECT $1::uuid, $2::jsonb WHERE (${held})`,
      params: [tenantId, JSON.stringify(sealed)],
    };
  }

  async find(tenantId: string, forUpdate = false): Promise<TenantSecretRecord | undefined> {
    const rows: Record<string, unknown>[] = await this.uow
      .manager()
      .query(
        `SELECT tenant_id, sealed, created_at, reveal_expires_at, revealed_at, revealed_by, destroyed_at, destroy_reason FROM tenant_secret WHERE tenant_id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
        [tenantId],
      );
    const r = rows[0];
    return r
      ? {
          tenantId: r.tenant_id as string,
          sealed: r.sealed as SealedSecret | null,
          createdAt: r.created_at as Date,
          revealExpiresAt: r.reveal_expires_at as Date | null,
          revealedAt: r.revealed_at as Date | null,
          revealedBy: r.revealed_by as string | null,
          destroyedAt: r.destroyed_at as Date | null,
          destroyReason: r.destroy_reason as string | null,
        }
      : undefined;
  }

  async startRevealWindow(tenantId: string, hours: number): Promise<void> {
    const st = this.startRevealWindowStatement(tenantId, hours);
    await this.uow.manager().query(st.text('true'), st.params);
  }

  /** `startRevealWindow` as a guarded statement, for the handover's writes in one statement. */
  startRevealWindowStatement(tenantId: string, hours: number): GuardedStatement {
    return {
      text: (held) =>
        `UPDATE tenant_secret SET reveal_expires_at = now() + ($2 || ' hours')::interval WHERE tenant_id = $1 AND (${held})`,
      params: [tenantId, String(hours)],
    };
  }

  /** Crypto-shreds: the sealed value is gone for good; the audit columns stay. */
  async markRevealed(tenantId: string, actor: string): Promise<void> {
    await this.uow
      .manager()
      .query(
        `UPDATE tenant_secret SET sealed = NULL, revealed_at = now(), revealed_by = $2, destroyed_at = now(), destroy_reason = 'revealed' WHERE tenant_id = $1`,
        [tenantId, actor],
      );
  }

  /** Returns whether this call destroyed it (false: already destroyed, e.g. by another replica). */
  async destroy(tenantId: string, reason: string): Promise<boolean> {
    const rows: unknown[] = await this.uow
      .manager()
      .query(
        `WITH d AS (UPDATE tenant_secret SET sealed = NULL, destroyed_at = now(), destroy_reason = $2 WHERE tenant_id = $1 AND destroyed_at IS NULL RETURNING tenant_id) SELECT tenant_id FROM d`,
        [tenantId, reason],
      );
    return rows.length === 1;
  }

  /** Unrevealed secrets past their reveal window. */
  async expired(limit: number): Promise<string[]> {
    const rows: { tenant_id: string }[] = await this.uow
      .manager()
      .query(
        `SELECT tenant_id FROM tenant_secret WHERE destroyed_at IS NULL AND reveal_expires_at < now() LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
    return rows.map((r) => r.tenant_id);
  }
}
