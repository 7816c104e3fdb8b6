import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  EventEnvelope,
  OnboardingRetryRequested,
  OnboardingRetryRequestedV1,
  VmsRegistered,
  VmsRegisteredV1,
} from '@tpo/contracts';
import { InboxClaim, OnEvent } from '@tpo/messaging';
import { StepIntake } from '@tpo/steps';

@Controller()
export class ActivationEventsMessageController {
  constructor(private readonly intake: StepIntake) {}

  @OnEvent(VmsRegistered, { claimsInbox: true })
  onVmsRegistered(@Payload() e: EventEnvelope<VmsRegisteredV1>, @Ctx() inbox?: InboxClaim): Promise<void> {
    return this.intake.start('activate', e.data.tenantId, e.data.siteId, e.data, e.data.succeeded, inbox);
  }

  @OnEvent(OnboardingRetryRequested)
  onRetry(@Payload() e: EventEnvelope<OnboardingRetryRequestedV1>): Promise<void> {
    return this.intake.retry(e.data, 'activate');
  }
}
