import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tpo/persistence';
import { SealedSecret } from '@tpo/secrets';
import type { SiteDeployment } from '@tpo/site-directory';

export interface SitePublicConnection {
  integrationServer: {
    url: string;
    username: string;
    tls?: Record<string, unknown>;
    addressForAgents: string;
    agentPort?: number;
  };
  /** `pushInstall` holds the push-install account's user name only; its password is sealed in `credentials`. */
  ksc: {
    url: string;
    username: string;
    tls?: Record<string, unknown>;
    publicAddress: string;
    pushInstall?: { username: string };
  };
  license?: { maxVms?: number; expiresAt?: string };
  /** Packages, reference policies and captured setting names per OS family (`SiteDeployment`, no secrets). */
  deployment?: SiteDeployment;
}

export interface SiteRecord {
  id: string;
  name: string;
  enabled: boolean;
  kscConfigured: boolean;
  maxVirtualServers: number;
  connection: SitePublicConnection;
  credentials: { integrationServer: SealedSecret; ksc: SealedSecret; pushInstall?: SealedSecret };
  source: 'config' | 'api';
  createdAt: Date;
  updatedAt: Date;
}

function toSite(r: Record<string, unknown>): SiteRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    enabled: r.enabled as boolean,
    kscConfigured: r.ksc_configured as boolean,
    maxVirtualServers: r.max_virtual_servers as number,
    connection: r.connection as SitePublicConnection,
    credentials: r.credentials as SiteRecord['credentials'],
    source: r.source as 'config' | 'api',
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

const COLUMNS =
  'id, name, enabled, ksc_configured, max_virtual_servers, connection, credentials, source, created_at, updated_at';

/** Tenants that hold (or are about to hold) a virtual server on a site; a deprovisioned one has freed it. */
const PLACED = `lifecycle <> 'deprovisioned' AND (status <> 'failed' OR current_step <> 'create-tenant' OR is_tenant_id IS NOT NULL)`;

@Injectable()
export class SiteRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async upsert(s: Omit<SiteRecord, 'createdAt' | 'updatedAt'>): Promise<void> {
    await this.uow.manager().query(
      `INSERT INTO site (id, name, enabled, ksc_configured, max_virtual_servers, connection, credentials, source)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8)
       ON CONFLICT (id) DO UPDATE SET name = $2, enabled = $3, ksc_configured = $4, max_virtual_servers = $5, connection = $6::jsonb,
         credentials = $7::jsonb, source = $8, updated_at = now()`,
      [
        s.id,
        s.name,
        s.enabled,
        s.kscConfigured,
        s.maxVirtualServers,
        JSON.stringify(s.connection),
        JSON.stringify(s.credentials),
        s.source,
      ],
    );
  }

  async findById(id: string): Promise<SiteRecord | undefined> {
    const rows: Record<string, unknown>[] = await this.uow
      .manager()
      .query(`SELECT ${COLUMNS} FROM site WHERE id = $1`, [id]);
    return rows[0] ? toSite(rows[0]) : undefined;
  }

  /** Every registered site's id. */
  async ids(): Promise<string[]> {
    const rows: { id: string }[] = await this.uow.manager().query(`SELECT id FROM site ORDER BY id`);
    return rows.map((r) => r.id);
  }

  async list(): Promise<(SiteRecord & { placedTenants: number })[]> {
    const rows: Record<string, unknown>[] = await this.uow.manager().query(`SELECT ${COLUMNS.split(', ')
      .map((c) => `s.${c}`)
      .join(', ')}, (SELECT count(*)::int FROM tenant t WHERE t.site_id = s.id AND (${PLACED})) AS placed
              FROM site s ORDER BY s.id`);
    return rows.map((r) => ({ ...toSite(r), placedTenants: r.placed as number }));
  }

  /**
   * Eligible sites with their placed-tenant counts, locked for the rest of the transaction so that
   * concurrent intakes cannot both take a site's last slot.
   */
  async lockEligibleWithUsage(): Promise<
    { site: SiteRecord; placed: number; foreign: number; preflightFailed?: string[] }[]
  > {
    // Only the site rows are locked: a preflight being recorded (site_preflight) never blocks intake.
    const sites: Record<string, unknown>[] = await this.uow.manager().query(
      `SELECT ${COLUMNS.split(', ')
        .map((c) => `s.${c}`)
        .join(
          ', ',
        )}, p.status AS preflight_status, p.checks AS preflight_checks, p.foreign_virtual_servers AS foreign_vs
       FROM site s LEFT JOIN site_preflight p ON p.site_id = s.id
       WHERE s.enabled AND s.ksc_configured ORDER BY s.id FOR UPDATE OF s`,
    );
    const out: { site: SiteRecord; placed: number; foreign: number; preflightFailed?: string[] }[] = [];
    for (const r of sites) {
      const [{ n }] = await this.uow
        .manager()
        .query(`SELECT count(*)::int AS n FROM tenant WHERE site_id = $1 AND (${PLACED})`, [r.id]);
      const failed =
        r.preflight_status === 'failed'
          ? ((r.preflight_checks as { name: string; status: string }[] | null) ?? [])
              .filter((c) => c.status === 'failed')
              .map((c) => c.name)
          : undefined;
      out.push({ site: toSite(r), placed: n, foreign: (r.foreign_vs as number | null) ?? 0, preflightFailed: failed });
    }
    return out;
  }

  async setKscConfigured(id: string, value: boolean): Promise<void> {
    await this.uow
      .manager()
      .query(`UPDATE site SET ksc_configured = $2, updated_at = now() WHERE id = $1`, [id, value]);
  }

  async setMaxVirtualServers(id: string, value: number): Promise<void> {
    await this.uow
      .manager()
      .query(`UPDATE site SET max_virtual_servers = $2, updated_at = now() WHERE id = $1`, [id, value]);
  }

  async setEnabled(id: string, value: boolean): Promise<void> {
    await this.uow.manager().query(`UPDATE site SET enabled = $2, updated_at = now() WHERE id = $1`, [id, value]);
  }
}
