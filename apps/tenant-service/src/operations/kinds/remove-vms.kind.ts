import { Injectable } from '@nestjs/common';
import { VmRef, VmsRemoved } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { TenantRecord } from '../../tenants/tenant.repository';
import { OperationRecord, OperationStepRecord } from '../operation.repository';
import { TenantVmRepository } from '../tenant-vm.repository';
import { OperationKindHandler, OperationStep } from './operation-kind';
import { TenantVendorSteps } from './tenant-vendor-steps';

/**
 * Remove VMs from a tenant: each is unregistered from the Integration Server (one already gone
 * counts as done), then leaves the tenant's inventory; VmsRemoved makes activation-service release
 * their license count. Uninstalling the Light Agent and handing the host back to the main server
 * are not done yet (see docs/operations.md).
 */
@Injectable()
export class RemoveVmsKind implements OperationKindHandler {
  readonly kind = 'remove-vms' as const;
  readonly steps: readonly OperationStep[];

  constructor(
    vendor: TenantVendorSteps,
    private readonly vms: TenantVmRepository,
    private readonly outbox: OutboxWriter,
  ) {
    this.steps = [vendor.unregisterVms('unregister-vms', (ctx) => (ctx.op.scope?.biosUuids ?? []) as string[])];
  }

  async complete(op: OperationRecord, tenant: TenantRecord, steps: OperationStepRecord[]): Promise<Record<string, unknown>> {
    const scope = (op.scope?.vms ?? []) as VmRef[];
    const unregistered = new Set(((steps.find((s) => s.step === 'unregister-vms')?.detail.unregistered as string[] | undefined) ?? []).map((b) => b.toLowerCase()));
    const succeeded = scope.map((v) => ({ biosUuid: v.biosUuid, name: v.name }));
    await this.vms.setState(tenant.id, scope.map((v) => v.biosUuid), 'removed', op.id);
    await this.outbox.emit(VmsRemoved, { tenantId: tenant.id, siteId: tenant.siteId, operationId: op.id, requestId: op.requestId ?? undefined, succeeded, failed: [] }, { tenantId: tenant.id });
    return {
      removed: scope.map((v) => ({ ...v, unregisteredFromIntegrationServer: unregistered.has(v.biosUuid.toLowerCase()) })),
    };
  }
}
