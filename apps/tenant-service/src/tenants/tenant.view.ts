import { ONBOARDING_STEPS } from '@tpo/contracts';
import type { SecretStateRead, StepRead, TenantDetailTenant, TenantSummaryRead } from './tenant-read.query';
import { TenantSummaryRecord } from './tenant.repository';

/**
 * What REST shows of a tenant: never a password, never site credentials. Timestamps are Dates (a tenant
 * just written) or their ISO text (TenantReadQuery): the JSON is the same.
 */
export function tenantSummary(t: TenantSummaryRecord | TenantSummaryRead) {
  return {
    id: t.id,
    orderId: t.orderId,
    name: t.name,
    siteId: t.siteId,
    status: t.status,
    lifecycle: t.lifecycle,
    lifecycleReason: t.lifecycleReason,
    currentStep: t.currentStep,
    adminAccountName: t.adminAccountName,
    failure: t.failure,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    readyAt: t.readyAt,
  };
}

/** Where the initial admin password stands — never the password itself. */
function passwordState(secret: SecretStateRead | undefined) {
  if (!secret) return { state: 'not-created' as const };
  if (secret.revealedAt)
    return { state: 'revealed' as const, revealedAt: secret.revealedAt, revealedBy: secret.revealedBy };
  if (secret.destroyedAt)
    return { state: 'reset-required' as const, reason: secret.destroyReason, destroyedAt: secret.destroyedAt };
  return { state: 'available' as const, revealExpiresAt: secret.revealExpiresAt };
}

export function tenantDetail(
  t: TenantDetailTenant,
  steps: StepRead[],
  kscPublicAddress: string | undefined,
  secret?: SecretStateRead,
) {
  const vasName = t.virtualServerName ?? undefined;
  return {
    ...tenantSummary(t),
    description: t.description,
    integrationServerTenantId: t.isTenantId,
    virtualAdministrationServer:
      t.virtualServerId && kscPublicAddress
        ? {
            id: t.virtualServerId,
            name: vasName,
            address: kscPublicAddress,
            connectionString: vasName ? `${kscPublicAddress}/${vasName}` : undefined,
          }
        : undefined,
    vms: { requested: t.requestedVms, ...(t.vmSummary ?? {}) },
    initialAdminPassword: passwordState(secret),
    timeline: ONBOARDING_STEPS.map(
      (step) => steps.find((s) => s.step === step) ?? { step, status: 'pending' as const },
    ),
  };
}
