import { Injectable } from '@nestjs/common';
import { OnboardingStep, TenantLifecycle } from '@tpo/contracts';
import { isoTimestampSql, UnitOfWork } from '@tpo/persistence';
import { StepFailure, StepRecord, StepStatus, TenantRecord, TenantStatus } from './tenant.repository';
import type { TenantSecretRecord } from './tenant-secret.repository';

/**
 * A record as REST reads it: each timestamp already the ISO 8601 text of its JSON answer, formatted
 * by Postgres (`isoTimestampSql`) instead of parsed into a Date and serialised back.
 */
export type AsRead<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};

/** What a tenant list shows (REST summaries). */
export type TenantSummaryRead = AsRead<
  Pick<
    TenantRecord,
    | 'id'
    | 'orderId'
    | 'name'
    | 'adminAccountName'
    | 'siteId'
    | 'status'
    | 'lifecycle'
    | 'lifecycleReason'
    | 'currentStep'
    | 'failure'
    | 'createdAt'
    | 'updatedAt'
    | 'readyAt'
  >
>;

/**
 * The tenant as its detail shows it: the summary, the vendor ids, and of the onboarding request only its
 * description and how many VMs it asked for (the request itself, with every VM, is not read).
 */
export interface TenantDetailTenant
  extends TenantSummaryRead, Pick<TenantRecord, 'isTenantId' | 'virtualServerId' | 'virtualServerName' | 'vmSummary'> {
  description: string | undefined;
  requestedVms: number;
}

export type StepRead = AsRead<StepRecord>;

/** The password's state; the sealed value itself is not read. */
export type SecretStateRead = AsRead<Omit<TenantSecretRecord, 'sealed'>>;

export interface TenantDetailRecord {
  tenant: TenantDetailTenant;
  steps: StepRead[];
  /** The KSC public address of the tenant's site (no other site column: never its credentials). */
  kscPublicAddress: string | undefined;
  secret: SecretStateRead | undefined;
}

export interface TenantPageFilter {
  status?: TenantStatus;
  lifecycle?: TenantLifecycle;
  siteId?: string;
  /** The caller's sites (undefined: every site). */
  sites?: string[];
  limit: number;
  offset: number;
}

const iso = isoTimestampSql;

/** The summary columns of `tenant` (aliased `t`), timestamps as text. */
const SUMMARY_SELECT = `t.id, t.order_id, t.name, t.admin_account_name, t.site_id, t.status, t.lifecycle, t.lifecycle_reason,
  t.current_step, t.failure, ${iso('t.created_at')} AS created_at, ${iso('t.updated_at')} AS updated_at,
  ${iso('t.ready_at')} AS ready_at`;

function toSummary(r: Record<string, unknown>): TenantSummaryRead {
  return {
    id: r.id as string,
    orderId: r.order_id as string,
    name: r.name as string,
    adminAccountName: r.admin_account_name as string,
    siteId: r.site_id as string,
    status: r.status as TenantStatus,
    lifecycle: r.lifecycle as TenantLifecycle,
    lifecycleReason: (r.lifecycle_reason as string | null) ?? null,
    currentStep: r.current_step as OnboardingStep,
    failure: r.failure as StepFailure | null,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
    readyAt: r.ready_at as string | null,
  };
}

function toStepRead(r: Record<string, unknown>): StepRead {
  return {
    step: r.step as OnboardingStep,
    status: r.status as StepStatus,
    attempt: r.attempt as number,
    startedAt: r.started_at as string | null,
    endedAt: r.ended_at as string | null,
    externalTaskIds: r.external_task_ids as string[],
    errorCode: r.error_code as string | null,
    errorMessage: r.error_message as string | null,
    retryable: r.retryable as boolean | null,
    details: r.details as Record<string, unknown> | null,
  };
}

/**
 * The REST reads of tenants: the list and `GET /v1/tenants/:id`, each one prepared round trip.
 * Read-only; the tables stay written by their repositories only (TenantRepository,
 * TenantTimelineRepository, SiteRepository, TenantSecretRepository).
 */
@Injectable()
export class TenantReadQuery {
  /**
   * The tenant, its step timeline, its site's KSC public address and its password state (before: four
   * sequential queries). Of the onboarding request only its description and VM count are read (the
   * whole request, every VM, was parsed on each read).
   */
  private readonly detailSql = `SELECT ${SUMMARY_SELECT},
      t.is_tenant_id, t.virtual_server_id, t.virtual_server_name, t.vm_summary,
      t.request->>'description' AS request_description, jsonb_array_length(t.request->'vms') AS requested_vms,
      s.connection #>> '{ksc,publicAddress}' AS ksc_public_address,
      sec.tenant_id AS secret_tenant_id, ${iso('sec.created_at')} AS secret_created_at,
      ${iso('sec.reveal_expires_at')} AS reveal_expires_at, ${iso('sec.revealed_at')} AS revealed_at,
      sec.revealed_by, ${iso('sec.destroyed_at')} AS destroyed_at, sec.destroy_reason,
      (SELECT json_agg(st) FROM (
         SELECT step, status, attempt, ${iso('started_at')} AS started_at, ${iso('ended_at')} AS ended_at,
           external_task_ids, error_code, error_message, retryable, details
         FROM tenant_step WHERE tenant_id = t.id) st) AS steps
    FROM tenant t
    LEFT JOIN site s ON s.id = t.site_id
    LEFT JOIN tenant_secret sec ON sec.tenant_id = t.id
    WHERE t.id = $1`;

  constructor(private readonly uow: UnitOfWork) {}

  async find(id: string): Promise<TenantDetailRecord | undefined> {
    const [r] = await this.uow.prepared(this.detailSql, [id]);
    if (!r) return undefined;
    return {
      tenant: {
        ...toSummary(r),
        isTenantId: r.is_tenant_id as string | null,
        virtualServerId: r.virtual_server_id as string | null,
        virtualServerName: r.virtual_server_name as string | null,
        vmSummary: r.vm_summary as Record<string, unknown> | null,
        description: (r.request_description as string | null) ?? undefined,
        requestedVms: Number(r.requested_vms ?? 0),
      },
      steps: ((r.steps as Record<string, unknown>[] | null) ?? []).map(toStepRead),
      kscPublicAddress: (r.ksc_public_address as string | null) ?? undefined,
      secret: r.secret_tenant_id
        ? {
            tenantId: r.secret_tenant_id as string,
            createdAt: r.secret_created_at as string,
            revealExpiresAt: r.reveal_expires_at as string | null,
            revealedAt: r.revealed_at as string | null,
            revealedBy: r.revealed_by as string | null,
            destroyedAt: r.destroyed_at as string | null,
            destroyReason: r.destroy_reason as string | null,
          }
        : undefined,
    };
  }

  /** A page of tenants, newest first, with the number of tenants the filter matches. */
  async page(filter: TenantPageFilter): Promise<{ items: TenantSummaryRead[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (filter.lifecycle) where.push(`lifecycle = $${params.push(filter.lifecycle)}`);
    if (filter.siteId) where.push(`site_id = $${params.push(filter.siteId)}`);
    if (filter.sites) where.push(`site_id = ANY($${params.push(filter.sites)})`);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    // The total in the same round trip, as an uncorrelated subquery: Postgres runs it once (an
    // InitPlan), as the separate count(*) did. Not count(*) OVER (): that makes the page read every
    // matching row through the index (20 ms at 12,000 tenants against 0.3 ms for the page and 7 ms for
    // the count).
    const rows = await this.uow.prepared(
      `SELECT ${SUMMARY_SELECT}, (SELECT count(*)::int FROM tenant ${clause}) AS total_matching FROM tenant t ${clause}
       ORDER BY t.created_at DESC, t.id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, filter.limit, filter.offset],
    );
    if (rows.length > 0) return { items: rows.map(toSummary), total: rows[0].total_matching as number };
    if (filter.offset === 0) return { items: [], total: 0 };
    // A page past the end has no row to carry the total.
    const [{ n }] = await this.uow.prepared<{ n: number }>(`SELECT count(*)::int AS n FROM tenant ${clause}`, params);
    return { items: [], total: n };
  }
}
