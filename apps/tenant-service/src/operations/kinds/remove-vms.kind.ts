import { Injectable } from '@nestjs/common';
import { VmFailure, VmRef, VmsRemoved } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { TenantRecord } from '../../tenants/tenant.repository';
import { OperationRecord, OperationStepRecord } from '../operation.repository';
import { TenantVmRepository } from '../tenant-vm.repository';
import { OperationKindHandler, OperationStep } from './operation-kind';
import { TenantVendorSteps } from './tenant-vendor-steps';

/**
 * Remove VMs from a tenant: each is unregistered from the Integration Server (one already gone
 * counts as done), after agent-install-service took the Light Agent off and handed the host back
 * to the main server; then it leaves the tenant's inventory; VmsRemoved (per-VM results) makes
 * activation-service release their license count.
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
    this.steps = [
      vendor.releaseAgents('release-agents', (ctx) => (ctx.op.scope?.vms ?? []) as VmRef[]),
      vendor.unregisterVms('unregister-vms', (ctx) => (ctx.op.scope?.biosUuids ?? []) as string[]),
    ];
  }

  async complete(
    op: OperationRecord,
    tenant: TenantRecord,
    steps: OperationStepRecord[],
  ): Promise<Record<string, unknown>> {
    const scope = (op.scope?.vms ?? []) as VmRef[];
    const unregistered = new Set(
      ((steps.find((s) => s.step === 'unregister-vms')?.detail.unregistered as string[] | undefined) ?? []).map((b) =>
        b.toLowerCase(),
      ),
    );
    const release = steps.find((s) => s.step === 'release-agents')?.detail;
    const releaseFailed = (release?.failed as VmFailure[] | undefined) ?? [];
    const agentFailed = new Set(releaseFailed.map((f) => f.biosUuid.toLowerCase()));
    // Every listed VM leaves the tenant (unregistered); one whose agents could not be taken off is reported as failed.
    const succeeded = scope
      .filter((v) => !agentFailed.has(v.biosUuid.toLowerCase()))
      .map((v) => ({ biosUuid: v.biosUuid, name: v.name }));
    await this.vms.setState(
      tenant.id,
      scope.map((v) => v.biosUuid),
      'removed',
      op.id,
    );
    await this.outbox.emit(
      VmsRemoved,
      {
        tenantId: tenant.id,
        siteId: tenant.siteId,
        operationId: op.id,
        requestId: op.requestId ?? undefined,
        succeeded,
        failed: releaseFailed,
      },
      { tenantId: tenant.id },
    );
    return {
      removed: scope.map((v) => ({
        ...v,
        unregisteredFromIntegrationServer: unregistered.has(v.biosUuid.toLowerCase()),
        agentsReleased: release ? !agentFailed.has(v.biosUuid.toLowerCase()) : false,
      })),
      failed: releaseFailed,
    };
  }
}
