import { Injectable } from '@nestjs/common';
import { TenantResumed } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { TenantRecord, TenantRepository } from '../../tenants/tenant.repository';
import { OperationRecord } from '../operation.repository';
import { OperationKindHandler, OperationStep } from './operation-kind';
import { TenantVendorSteps } from './tenant-vendor-steps';

/**
 * Resume: the Integration Server activates the tenant again (protection resumes). Its VMs never
 * left the site's license count while suspended, so no new license check is needed.
 */
@Injectable()
export class ResumeKind implements OperationKindHandler {
  readonly kind = 'resume' as const;
  readonly steps: readonly OperationStep[];

  constructor(
    vendor: TenantVendorSteps,
    private readonly tenants: TenantRepository,
    private readonly outbox: OutboxWriter,
  ) {
    this.steps = [vendor.activation('activate', true, 'fail')];
  }

  async complete(op: OperationRecord, tenant: TenantRecord): Promise<Record<string, unknown>> {
    await this.tenants.setLifecycle(tenant.id, 'active', op.reason);
    await this.outbox.emit(
      TenantResumed,
      {
        tenantId: tenant.id,
        siteId: tenant.siteId,
        operationId: op.id,
        requestId: op.requestId ?? undefined,
        reason: op.reason ?? undefined,
      },
      { tenantId: tenant.id },
    );
    return { lifecycle: 'active' };
  }
}
