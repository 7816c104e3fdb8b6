import { defineEvent } from '../../event-definition';
import { OnboardingRequest } from '../../onboarding/onboarding-request.dto';

/** An upstream order system asks for a tenant to be onboarded. The order id is the idempotency key. */
export class TenantRequestedV1 extends OnboardingRequest {}

export const TenantRequested = defineEvent({
  name: 'TenantRequested',
  version: 1,
  payload: TenantRequestedV1,
  producers: ['upstream-order-system'],
  consumers: ['tenant-service'],
  description: 'Order to onboard a tenant (same fields as POST /v1/tenants). Never carries a password.',
});
