import { Injectable } from '@nestjs/common';
import { TenantDeprovisioned } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { TenantSecretRepository } from '../../tenants/tenant-secret.repository';
import { TenantRecord, TenantRepository } from '../../tenants/tenant.repository';
import { OperationRecord, OperationStepRecord } from '../operation.repository';
import { TenantVmRepository } from '../tenant-vm.repository';
import { OperationKindHandler, OperationStep } from './operation-kind';
import { TenantVendorSteps } from './tenant-vendor-steps';

/**
 * Deprovision, the onboarding in reverse with no orphans. Every step looks before it acts, so it
 * also cleans a tenant whose onboarding failed half-way (whatever exists is removed, the rest is
 * skipped). Site capacity is freed by the tenant's `deprovisioned` lifecycle (placement no longer
 * counts it); the license count by activation-service on TenantDeprovisioned. The record stays.
 */
@Injectable()
export class DeprovisionKind implements OperationKindHandler {
  readonly kind = 'deprovision' as const;
  readonly steps: readonly OperationStep[];

  constructor(
    vendor: TenantVendorSteps,
    private readonly tenants: TenantRepository,
    private readonly secrets: TenantSecretRepository,
    private readonly outbox: OutboxWriter,
    private readonly vms: TenantVmRepository,
  ) {
    this.steps = [
      // Light Agent off and hosts back to the main server first: afterwards the vAS is deleted.
      vendor.releaseAgents('release-agents'),
      vendor.unregisterVms('unregister-vms'),
      vendor.activation('deactivate', false, 'skip'),
      vendor.deleteTenant('delete-tenant'),
      vendor.deleteVirtualServer('delete-virtual-server'),
      {
        name: 'shred-secrets',
        // The sealed value holds the only copy of the wrapped data key: dropping it makes the password unreadable.
        run: async (ctx) => {
          let destroyed = false;
          await ctx.write(async () => {
            destroyed = await this.secrets.destroy(ctx.tenant.id, 'deprovisioned');
          });
          return { detail: { destroyed } };
        },
      },
    ];
  }

  async complete(
    op: OperationRecord,
    tenant: TenantRecord,
    steps: OperationStepRecord[],
  ): Promise<Record<string, unknown>> {
    const unregistered =
      (steps.find((s) => s.step === 'unregister-vms')?.detail.unregistered as string[] | undefined) ?? [];
    // Belt and braces: the secret is destroyed in this transaction too (idempotent).
    await this.secrets.destroy(tenant.id, 'deprovisioned');
    await this.tenants.setLifecycle(tenant.id, 'deprovisioned', op.reason);
    await this.vms.releaseAll(tenant.id);
    await this.outbox.emit(
      TenantDeprovisioned,
      {
        tenantId: tenant.id,
        siteId: tenant.siteId,
        operationId: op.id,
        requestId: op.requestId ?? undefined,
        integrationServerTenantId: tenant.isTenantId ?? undefined,
        virtualServerId: tenant.virtualServerId ?? undefined,
        unregisteredVms: unregistered.length,
      },
      { tenantId: tenant.id },
    );
    return { lifecycle: 'deprovisioned', unregisteredVms: unregistered.length };
  }
}
