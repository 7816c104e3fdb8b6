import { Injectable } from '@nestjs/common';
import { TenantSuspended } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { TenantRepository } from '../../tenants/tenant.repository';
import { TenantActivationKind } from './tenant-activation.kind';
import { TenantVendorSteps } from './tenant-vendor-steps';

/** Suspend: the Integration Server deactivates the tenant (its Light Agents get no SVM; protection stops). */
@Injectable()
export class SuspendKind extends TenantActivationKind {
  constructor(vendor: TenantVendorSteps, tenants: TenantRepository, outbox: OutboxWriter) {
    super(
      { kind: 'suspend', step: 'deactivate', active: false, lifecycle: 'suspended', event: TenantSuspended },
      vendor,
      tenants,
      outbox,
    );
  }
}
