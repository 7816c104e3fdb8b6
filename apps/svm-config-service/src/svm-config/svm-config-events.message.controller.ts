import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  EventEnvelope,
  OnboardingRetryRequested,
  OnboardingRetryRequestedV1,
  TenantCreated,
  TenantCreatedV1,
} from '@tpo/contracts';
import { InboxClaim, OnEvent } from '@tpo/messaging';
import { StepIntake } from '@tpo/steps';
import { CONFIGURE_SVM_STEP } from './configure-svm.job';

@Controller()
export class SvmConfigEventsMessageController {
  constructor(private readonly intake: StepIntake) {}

  /** Recorded once per tenant (a redelivered or re-published TenantCreated starts nothing new). */
  @OnEvent(TenantCreated, { claimsInbox: true })
  onTenantCreated(@Payload() e: EventEnvelope<TenantCreatedV1>, @Ctx() inbox?: InboxClaim): Promise<void> {
    return this.intake.start(CONFIGURE_SVM_STEP, e.data.tenantId, e.data.siteId, e.data, e.data.vms, inbox);
  }

  @OnEvent(OnboardingRetryRequested)
  onRetry(@Payload() e: EventEnvelope<OnboardingRetryRequestedV1>): Promise<void> {
    return this.intake.retry(e.data, CONFIGURE_SVM_STEP);
  }
}
