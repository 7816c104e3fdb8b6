import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tpo/persistence';
import { TenantSecretRecord } from './tenant-secret.repository';
import {
  StepRecord,
  STEP_COLUMNS,
  SUMMARY_COLUMNS,
  TenantRecord,
  TenantSummaryRecord,
  toStep,
  toTenantSummary,
} from './tenant.repository';

/**
 * The tenant as its detail shows it: the summary, the vendor ids, and of the onboarding request only its
 * description and how many VMs it asked for (the request itself, with every VM, is not read).
 */
export interface TenantDetailTenant
  extends
    TenantSummaryRecord,
    Pick<TenantRecord, 'isTenantId' | 'virtualServerId' | 'virtualServerName' | 'vmSummary'> {
  description: string | undefined;
  requestedVms: number;
}

export interface TenantDetailRecord {
  tenant: TenantDetailTenant;
  steps: StepRecord[];
  /** The KSC public address of the tenant's site (no other site column: never its credentials). */
  kscPublicAddress: string | undefined;
  /** The password's state; the sealed value itself is not read. */
  secret: Omit<TenantSecretRecord, 'sealed'> | undefined;
}

/**
 * `GET /v1/tenants/:id` in one round trip: the tenant, its step timeline, its site's KSC public
 * address and its password state (before: four sequential queries). Of the onboarding request only
 * its description and VM count are read (the whole request, every VM, was parsed on each read).
 * Read-only; the tables stay written by their repositories only (TenantRepository, SiteRepository,
 * TenantSecretRepository).
 */
@Injectable()
export class TenantDetailQuery {
  private readonly sql = `SELECT ${SUMMARY_COLUMNS.split(',')
    .map((c) => `t.${c.trim()}`)
    .join(', ')},
      t.is_tenant_id, t.virtual_server_id, t.virtual_server_name, t.vm_summary,
      t.request->>'description' AS request_description, jsonb_array_length(t.request->'vms') AS requested_vms,
      s.connection #>> '{ksc,publicAddress}' AS ksc_public_address,
      sec.tenant_id AS secret_tenant_id, sec.created_at AS secret_created_at, sec.reveal_expires_at, sec.revealed_at,
      sec.revealed_by, sec.destroyed_at, sec.destroy_reason,
      (SELECT json_agg(st) FROM (SELECT ${STEP_COLUMNS} FROM tenant_step WHERE tenant_id = t.id) st) AS steps
    FROM tenant t
    LEFT JOIN site s ON s.id = t.site_id
    LEFT JOIN tenant_secret sec ON sec.tenant_id = t.id
    WHERE t.id = $1`;

  constructor(private readonly uow: UnitOfWork) {}

  async find(id: string): Promise<TenantDetailRecord | undefined> {
    const [r] = await this.uow.prepared(this.sql, [id]);
    if (!r) return undefined;
    return {
      tenant: {
        ...toTenantSummary(r),
        isTenantId: r.is_tenant_id as string | null,
        virtualServerId: r.virtual_server_id as string | null,
        virtualServerName: r.virtual_server_name as string | null,
        vmSummary: r.vm_summary as Record<string, unknown> | null,
        description: (r.request_description as string | null) ?? undefined,
        requestedVms: Number(r.requested_vms ?? 0),
      },
      steps: ((r.steps as Record<string, unknown>[] | null) ?? []).map(toStep),
      kscPublicAddress: (r.ksc_public_address as string | null) ?? undefined,
      secret: r.secret_tenant_id
        ? {
            tenantId: r.secret_tenant_id as string,
            createdAt: r.secret_created_at as Date,
            revealExpiresAt: r.reveal_expires_at as Date | null,
            revealedAt: r.revealed_at as Date | null,
            revealedBy: r.revealed_by as string | null,
            destroyedAt: r.destroyed_at as Date | null,
            destroyReason: r.destroy_reason as string | null,
          }
        : undefined,
    };
  }
}
