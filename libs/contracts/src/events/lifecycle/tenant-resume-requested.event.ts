import { defineEvent } from '../../event-definition';
import { LifecycleRequestBase } from './lifecycle-common';

export class TenantResumeRequestedV1 extends LifecycleRequestBase {}

export const TenantResumeRequested = defineEvent({
  name: 'TenantResumeRequested',
  version: 1,
  payload: TenantResumeRequestedV1,
  producers: ['upstream-order-system'],
  consumers: ['tenant-service'],
  description:
    'An order system asks to resume a suspended tenant: the Integration Server activates it again. Refusals: TenantOperationRejected.',
});
