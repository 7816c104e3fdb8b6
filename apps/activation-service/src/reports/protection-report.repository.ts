import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { ReportTrigger } from '@tpo/contracts';
import { UnitOfWork, whereClause } from '@tpo/persistence';

export type ReportStatus = 'pending' | 'generating' | 'downloading' | 'ready' | 'failed';

export interface ProtectionReport {
  id: string;
  tenantId: string;
  siteId: string;
  isTenantId: string;
  periodFrom: Date;
  periodTo: Date;
  trigger: ReportTrigger;
  requestedBy: string | null;
  status: ReportStatus;
  generateIntentAt: Date | null;
  isTaskId: string | null;
  isReportId: string | null;
  bytesDownloaded: number;
  bytesTotal: number | null;
  rowCount: number | null;
  protectedVms: number | null;
  sha256: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: Date;
  updatedAt: Date;
  readyAt: Date | null;
}

/** A tenant the Integration Server knows and the platform activated: what a report is asked for. */
export interface ReportableTenant {
  tenantId: string;
  siteId: string;
  isTenantId: string;
}

const COLUMNS = `id, tenant_id, site_id, is_tenant_id, period_from, period_to, trigger, requested_by, status, generate_intent_at, is_task_id, is_report_id,
  bytes_downloaded, bytes_total, row_count, protected_vms, sha256, error_code, error_message, created_at, updated_at, ready_at`;

function toReport(r: Record<string, unknown>): ProtectionReport {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    siteId: r.site_id as string,
    isTenantId: r.is_tenant_id as string,
    periodFrom: r.period_from as Date,
    periodTo: r.period_to as Date,
    trigger: r.trigger as ReportTrigger,
    requestedBy: r.requested_by as string | null,
    status: r.status as ReportStatus,
    generateIntentAt: r.generate_intent_at as Date | null,
    isTaskId: r.is_task_id as string | null,
    isReportId: r.is_report_id as string | null,
    bytesDownloaded: r.bytes_downloaded as number,
    bytesTotal: r.bytes_total as number | null,
    rowCount: r.row_count as number | null,
    protectedVms: r.protected_vms as number | null,
    sha256: r.sha256 as string | null,
    errorCode: r.error_code as string | null,
    errorMessage: r.error_message as string | null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    readyAt: r.ready_at as Date | null,
  };
}

/** The only code that touches `protection_report` (and reads the activation records it reports on). */
@Injectable()
export class ProtectionReportRepository {
  constructor(private readonly uow: UnitOfWork) {}

  private get m() {
    return this.uow.manager();
  }

  /**
   * Tenants activated by this service (their Integration Server id from the activation record),
   * optionally of one site. A tenant the Integration Server no longer has (deprovisioned: a report
   * of it failed with TENANT_NOT_ON_INTEGRATION_SERVER, or its licence count was released with a
   * `releasedBy` mark) is left out.
   */
  async reportableTenants(filter: { siteId?: string; tenantId?: string } = {}): Promise<ReportableTenant[]> {
    const where = [
      `step = 'activate'`,
      `status = 'succeeded'`,
      `NOT (COALESCE(output, '{}'::jsonb) ? 'releasedBy')`,
      `tenant_id NOT IN (SELECT tenant_id FROM protection_report WHERE error_code = 'TENANT_NOT_ON_INTEGRATION_SERVER')`,
    ];
    const params: unknown[] = [];
    if (filter.siteId) where.push(`site_id = $${params.push(filter.siteId)}`);
    if (filter.tenantId) where.push(`tenant_id = $${params.push(filter.tenantId)}`);
    const rows: { tenant_id: string; site_id: string; is_tenant_id: string }[] = await this.m.query(
      `SELECT DISTINCT ON (tenant_id) tenant_id, site_id, input->>'integrationServerTenantId' AS is_tenant_id FROM step_work WHERE ${where.join(' AND ')} ORDER BY tenant_id, updated_at DESC`,
      params,
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, siteId: r.site_id, isTenantId: r.is_tenant_id }));
  }

  /** Sites with at least one activated tenant (the scheduled rounds run per site). */
  async sitesWithActivations(): Promise<string[]> {
    const rows: { site_id: string }[] = await this.m.query(
      `SELECT DISTINCT site_id FROM step_work WHERE step = 'activate' AND status = 'succeeded' ORDER BY site_id`,
    );
    return rows.map((r) => r.site_id);
  }

  /** Inserts a report for (tenant, period) unless one exists; returns the stored one and whether it is new. */
  async upsert(
    t: ReportableTenant,
    period: { from: Date; to: Date },
    trigger: ReportTrigger,
    requestedBy?: string,
  ): Promise<{ report: ProtectionReport; created: boolean }> {
    const inserted: Record<string, unknown>[] = await this.m.query(
      `INSERT INTO protection_report (id, tenant_id, site_id, is_tenant_id, period_from, period_to, trigger, requested_by, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending') ON CONFLICT (tenant_id, period_from, period_to) DO NOTHING RETURNING ${COLUMNS}`,
      [randomUUID(), t.tenantId, t.siteId, t.isTenantId, period.from, period.to, trigger, requestedBy ?? null],
    );
    if (inserted.length === 1) return { report: toReport(inserted[0]), created: true };
    const [existing] = await this.m.query(
      `SELECT ${COLUMNS} FROM protection_report WHERE tenant_id = $1 AND period_from = $2 AND period_to = $3`,
      [t.tenantId, period.from, period.to],
    );
    return { report: toReport(existing as Record<string, unknown>), created: false };
  }

  async find(id: string): Promise<ProtectionReport | undefined> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT ${COLUMNS} FROM protection_report WHERE id = $1`,
      [id],
    );
    return rows[0] ? toReport(rows[0]) : undefined;
  }

  async list(filter: {
    tenantId?: string;
    siteId?: string;
    status?: ReportStatus;
    sites?: string[];
    limit: number;
    offset: number;
  }): Promise<{ items: ProtectionReport[]; total: number }> {
    const { clause, params } = whereClause([
      ['tenant_id = $?', filter.tenantId],
      ['site_id = $?', filter.siteId],
      ['status = $?', filter.status],
      ['site_id = ANY($?)', filter.sites],
    ]);
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT ${COLUMNS} FROM protection_report ${clause} ORDER BY period_to DESC, created_at DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, filter.limit, filter.offset],
    );
    const [{ n }] = (await this.m.query(`SELECT count(*)::int AS n FROM protection_report ${clause}`, params)) as {
      n: number;
    }[];
    return { items: rows.map(toReport), total: n };
  }

  async content(id: string): Promise<Buffer | undefined> {
    const rows: { content: Buffer | null }[] = await this.m.query(
      `SELECT content FROM protection_report WHERE id = $1`,
      [id],
    );
    return rows[0]?.content ?? undefined;
  }

  /** Before CreateTenantReport: the attempt is on record (a crash after the call regenerates, which changes nothing on the server). */
  async recordGenerateIntent(id: string): Promise<void> {
    await this.m.query(
      `UPDATE protection_report SET status = 'generating', generate_intent_at = now(), error_code = NULL, error_message = NULL, updated_at = now() WHERE id = $1`,
      [id],
    );
  }

  async recordTask(id: string, taskId: string): Promise<void> {
    await this.m.query(`UPDATE protection_report SET is_task_id = $2, updated_at = now() WHERE id = $1`, [id, taskId]);
  }

  async recordReportId(id: string, reportId: string): Promise<void> {
    await this.m.query(
      `UPDATE protection_report SET status = 'downloading', is_report_id = $2, content = ''::bytea, bytes_downloaded = 0, bytes_total = NULL, updated_at = now() WHERE id = $1`,
      [id, reportId],
    );
  }

  /** Appends a downloaded range at `offset` (only if nothing was appended since: a resumed download never doubles bytes). */
  async appendChunk(id: string, offset: number, bytes: Buffer, total: number): Promise<boolean> {
    const r: unknown = await this.m.query(
      `UPDATE protection_report SET content = COALESCE(content, ''::bytea) || $3, bytes_downloaded = bytes_downloaded + $4, bytes_total = $5, updated_at = now()
       WHERE id = $1 AND bytes_downloaded = $2`,
      [id, offset, bytes, bytes.length, total],
    );
    return Array.isArray(r) && r[1] === 1;
  }

  /** The server no longer has the file (expired) or the task failed: start over with a new generation. */
  async resetGeneration(id: string, error?: { code: string; message: string }): Promise<void> {
    await this.m.query(
      `UPDATE protection_report SET status = 'pending', generate_intent_at = NULL, is_task_id = NULL, is_report_id = NULL, content = NULL, bytes_downloaded = 0, bytes_total = NULL,
         error_code = $2, error_message = $3, updated_at = now() WHERE id = $1`,
      [id, error?.code ?? null, error?.message ?? null],
    );
  }

  async markReady(
    id: string,
    summary: { rows: number; protectedVms: number; sha256: string; bytes: number },
  ): Promise<void> {
    await this.m.query(
      `UPDATE protection_report SET status = 'ready', row_count = $2, protected_vms = $3, sha256 = $4, bytes_total = $5, error_code = NULL, error_message = NULL, ready_at = now(), updated_at = now() WHERE id = $1`,
      [id, summary.rows, summary.protectedVms, summary.sha256, summary.bytes],
    );
  }

  async markFailed(id: string, error: { code: string; message: string }): Promise<void> {
    await this.m.query(
      `UPDATE protection_report SET status = 'failed', error_code = $2, error_message = $3, updated_at = now() WHERE id = $1`,
      [id, error.code, error.message.slice(0, 2000)],
    );
  }

  /** A failed report asked for again: back to pending (its job is reopened by the caller). */
  async reopen(id: string, requestedBy?: string): Promise<boolean> {
    const r: unknown = await this.m.query(
      `UPDATE protection_report SET status = 'pending', generate_intent_at = NULL, is_task_id = NULL, is_report_id = NULL, content = NULL, bytes_downloaded = 0, bytes_total = NULL,
         error_code = NULL, error_message = NULL, requested_by = COALESCE($2, requested_by), updated_at = now() WHERE id = $1 AND status = 'failed'`,
      [id, requestedBy ?? null],
    );
    return Array.isArray(r) && r[1] === 1;
  }

  /** Distinct VMs in each tenant's latest ready report of a site: per-tenant usage for licence monitoring. */
  async latestUsage(siteId: string): Promise<{ tenantId: string; protectedVms: number; periodTo: Date }[]> {
    const rows: { tenant_id: string; protected_vms: number; period_to: Date }[] = await this.m.query(
      `SELECT DISTINCT ON (tenant_id) tenant_id, protected_vms, period_to FROM protection_report WHERE site_id = $1 AND status = 'ready' ORDER BY tenant_id, period_to DESC`,
      [siteId],
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, protectedVms: r.protected_vms, periodTo: r.period_to }));
  }
}
