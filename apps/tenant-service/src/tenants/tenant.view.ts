import { ONBOARDING_STEPS } from '@tpo/contracts';
import { StepRecord, TenantRecord } from './tenant.repository';

/** What REST shows of a tenant: never a password, never site credentials. */
export function tenantSummary(t: TenantRecord) {
  return {
    id: t.id,
    orderId: t.orderId,
    name: t.name,
    siteId: t.siteId,
    status: t.status,
    currentStep: t.currentStep,
    adminAccountName: t.adminAccountName,
    failure: t.failure,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    readyAt: t.readyAt,
  };
}

export function tenantDetail(t: TenantRecord, steps: StepRecord[], kscPublicAddress: string | undefined) {
  const vasName = t.virtualServerName ?? undefined;
  return {
    ...tenantSummary(t),
    description: t.request.description,
    integrationServerTenantId: t.isTenantId,
    virtualAdministrationServer:
      t.virtualServerId && kscPublicAddress
        ? { id: t.virtualServerId, name: vasName, address: kscPublicAddress, connectionString: vasName ? `${kscPublicAddress}/${vasName}` : undefined }
        : undefined,
    vms: { requested: t.request.vms.length, ...(t.vmSummary ?? {}) },
    timeline: ONBOARDING_STEPS.map((step) => steps.find((s) => s.step === step) ?? { step, status: 'pending' as const }),
  };
}
