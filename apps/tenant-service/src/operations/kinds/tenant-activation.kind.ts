import { TenantResumed, TenantSuspended } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { TenantRecord, TenantRepository } from '../../tenants/tenant.repository';
import { OperationRecord } from '../operation.repository';
import { OperationKindHandler, OperationStep } from './operation-kind';
import { TenantVendorSteps } from './tenant-vendor-steps';

/** What tells suspend and resume apart: the Integration Server state asked for, the lifecycle it leads to, its event. */
interface ActivationChange {
  kind: 'suspend' | 'resume';
  step: 'deactivate' | 'activate';
  active: boolean;
  lifecycle: 'suspended' | 'active';
  event: typeof TenantSuspended | typeof TenantResumed;
}

/** An operation that (de)activates the tenant in its Integration Server, records the lifecycle and announces it. */
export abstract class TenantActivationKind implements OperationKindHandler {
  readonly kind: ActivationChange['kind'];
  readonly steps: readonly OperationStep[];

  protected constructor(
    private readonly change: ActivationChange,
    vendor: TenantVendorSteps,
    private readonly tenants: TenantRepository,
    private readonly outbox: OutboxWriter,
  ) {
    this.kind = change.kind;
    this.steps = [vendor.activation(change.step, change.active, 'fail')];
  }

  async complete(op: OperationRecord, tenant: TenantRecord): Promise<Record<string, unknown>> {
    await this.tenants.setLifecycle(tenant.id, this.change.lifecycle, op.reason);
    await this.outbox.emit(
      this.change.event,
      {
        tenantId: tenant.id,
        siteId: tenant.siteId,
        operationId: op.id,
        requestId: op.requestId ?? undefined,
        reason: op.reason ?? undefined,
      },
      { tenantId: tenant.id },
    );
    return { lifecycle: this.change.lifecycle };
  }
}
