import { Injectable } from '@nestjs/common';
import { TenantSuspended } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { TenantRecord, TenantRepository } from '../../tenants/tenant.repository';
import { OperationRecord } from '../operation.repository';
import { OperationKindHandler, OperationStep } from './operation-kind';
import { TenantVendorSteps } from './tenant-vendor-steps';

/** Suspend: the Integration Server deactivates the tenant (its Light Agents get no SVM; protection stops). */
@Injectable()
export class SuspendKind implements OperationKindHandler {
  readonly kind = 'suspend' as const;
  readonly steps: readonly OperationStep[];

  constructor(
    vendor: TenantVendorSteps,
    private readonly tenants: TenantRepository,
    private readonly outbox: OutboxWriter,
  ) {
    this.steps = [vendor.activation('deactivate', false, 'fail')];
  }

  async complete(op: OperationRecord, tenant: TenantRecord): Promise<Record<string, unknown>> {
    await this.tenants.setLifecycle(tenant.id, 'suspended', op.reason);
    await this.outbox.emit(
      TenantSuspended,
      {
        tenantId: tenant.id,
        siteId: tenant.siteId,
        operationId: op.id,
        requestId: op.requestId ?? undefined,
        reason: op.reason ?? undefined,
      },
      { tenantId: tenant.id },
    );
    return { lifecycle: 'suspended' };
  }
}
