import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tpo/persistence';
import type { PreflightCheck } from './site-preflight';

export interface SitePreflightRecord {
  siteId: string;
  status: 'passed' | 'failed' | null;
  checks: PreflightCheck[];
  trigger: string | null;
  kscVirtualServers: number | null;
  foreignVirtualServers: number;
  checkedAt: Date | null;
}

function toRecord(r: Record<string, unknown>): SitePreflightRecord {
  return {
    siteId: r.site_id as string,
    status: r.status as SitePreflightRecord['status'],
    checks: (r.checks as PreflightCheck[]) ?? [],
    trigger: r.trigger as string | null,
    kscVirtualServers: r.ksc_virtual_servers as number | null,
    foreignVirtualServers: r.foreign_virtual_servers as number,
    checkedAt: r.checked_at as Date | null,
  };
}

/** The last preflight per site and the scheduler's claims (`next_due_at`). */
@Injectable()
export class SitePreflightRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async find(siteId: string): Promise<SitePreflightRecord | undefined> {
    const rows: Record<string, unknown>[] = await this.uow
      .manager()
      .query(`SELECT * FROM site_preflight WHERE site_id = $1`, [siteId]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async all(): Promise<Map<string, SitePreflightRecord>> {
    const rows: Record<string, unknown>[] = await this.uow.manager().query(`SELECT * FROM site_preflight`);
    return new Map(rows.map((r) => [r.site_id as string, toRecord(r)]));
  }

  /**
   * Sites whose preflight is due (never run, or older than the interval), claimed by moving their
   * next due time one interval ahead. Call inside an exclusive round: one replica claims each site.
   * Returns each claimed site with whether it was ever checked.
   */
  async claimDue(intervalMs: number, limit: number): Promise<{ siteId: string; neverChecked: boolean }[]> {
    await this.uow
      .manager()
      .query(`INSERT INTO site_preflight (site_id) SELECT id FROM site WHERE enabled ON CONFLICT (site_id) DO NOTHING`);
    const rows: { site_id: string; checked_at: Date | null }[] = await this.uow.manager().query(
      // Wrapped in a CTE so the driver returns plain rows (an UPDATE answers [rows, count]).
      `WITH claimed AS (
         UPDATE site_preflight p SET next_due_at = now() + ($1 || ' milliseconds')::interval
         WHERE p.site_id IN (
           SELECT sp.site_id FROM site_preflight sp JOIN site s ON s.id = sp.site_id
           WHERE s.enabled AND sp.next_due_at <= now() ORDER BY sp.next_due_at LIMIT $2 FOR UPDATE OF sp SKIP LOCKED)
         RETURNING p.site_id, p.checked_at)
       SELECT * FROM claimed`,
      [String(intervalMs), limit],
    );
    return rows.map((r) => ({ siteId: r.site_id, neverChecked: r.checked_at === null }));
  }

  async record(
    siteId: string,
    r: {
      status: 'passed' | 'failed';
      checks: PreflightCheck[];
      trigger: string;
      kscVirtualServers?: number;
      foreignVirtualServers: number;
      intervalMs: number;
    },
  ): Promise<SitePreflightRecord> {
    const rows: Record<string, unknown>[] = await this.uow.manager().query(
      `INSERT INTO site_preflight (site_id, status, checks, trigger, ksc_virtual_servers, foreign_virtual_servers, checked_at, next_due_at)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, now(), now() + ($7 || ' milliseconds')::interval)
       ON CONFLICT (site_id) DO UPDATE SET status = $2, checks = $3::jsonb, trigger = $4, ksc_virtual_servers = $5, foreign_virtual_servers = $6,
         checked_at = now(), next_due_at = now() + ($7 || ' milliseconds')::interval
       RETURNING *`,
      [
        siteId,
        r.status,
        JSON.stringify(r.checks),
        r.trigger,
        r.kscVirtualServers ?? null,
        r.foreignVirtualServers,
        String(r.intervalMs),
      ],
    );
    return toRecord(rows[0]);
  }

  /** A changed site is checked at the next scheduler tick (whichever replica claims it). */
  async markDue(siteId: string): Promise<void> {
    await this.uow.manager().query(`UPDATE site_preflight SET next_due_at = now() WHERE site_id = $1`, [siteId]);
  }

  /** This platform's tenants on the site whose virtual server exists (the Integration Server made it). */
  async ownVirtualServers(siteId: string): Promise<number> {
    const [{ n }] = await this.uow
      .manager()
      .query(`SELECT count(*)::int AS n FROM tenant WHERE site_id = $1 AND is_tenant_id IS NOT NULL`, [siteId]);
    return n as number;
  }
}
