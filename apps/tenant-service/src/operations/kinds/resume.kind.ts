import { Injectable } from '@nestjs/common';
import { TenantResumed } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { TenantRepository } from '../../tenants/tenant.repository';
import { TenantActivationKind } from './tenant-activation.kind';
import { TenantVendorSteps } from './tenant-vendor-steps';

/**
 * Resume: the Integration Server activates the tenant again (protection resumes). Its VMs never
 * left the site's license count while suspended, so no new license check is needed.
 */
@Injectable()
export class ResumeKind extends TenantActivationKind {
  constructor(vendor: TenantVendorSteps, tenants: TenantRepository, outbox: OutboxWriter) {
    super(
      { kind: 'resume', step: 'activate', active: true, lifecycle: 'active', event: TenantResumed },
      vendor,
      tenants,
      outbox,
    );
  }
}
