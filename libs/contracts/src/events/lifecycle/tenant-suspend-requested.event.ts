import { defineEvent } from '../../event-definition';
import { LifecycleRequestBase } from './lifecycle-common';

export class TenantSuspendRequestedV1 extends LifecycleRequestBase {}

export const TenantSuspendRequested = defineEvent({
  name: 'TenantSuspendRequested',
  version: 1,
  payload: TenantSuspendRequestedV1,
  producers: ['upstream-order-system'],
  consumers: ['tenant-service'],
  description:
    'An order system asks to suspend a tenant (e.g. unpaid): the Integration Server deactivates it, its VMs lose protection. Refusals: TenantOperationRejected.',
});
