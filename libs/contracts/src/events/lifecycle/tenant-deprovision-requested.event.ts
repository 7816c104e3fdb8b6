import { defineEvent } from '../../event-definition';
import { LifecycleRequestBase } from './lifecycle-common';

export class TenantDeprovisionRequestedV1 extends LifecycleRequestBase {}

export const TenantDeprovisionRequested = defineEvent({
  name: 'TenantDeprovisionRequested',
  version: 1,
  payload: TenantDeprovisionRequestedV1,
  producers: ['upstream-order-system'],
  consumers: ['tenant-service'],
  description:
    'An order system asks to take a tenant down for good (reverse saga, no orphans). Refusals: TenantOperationRejected.',
});
