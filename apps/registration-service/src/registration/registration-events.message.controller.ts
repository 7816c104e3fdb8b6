import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  AgentsInstalled,
  AgentsInstalledV1,
  EventEnvelope,
  OnboardingRetryRequested,
  OnboardingRetryRequestedV1,
} from '@tpo/contracts';
import { InboxClaim, OnEvent } from '@tpo/messaging';
import { StepIntake } from '@tpo/steps';

@Controller()
export class RegistrationEventsMessageController {
  constructor(private readonly intake: StepIntake) {}

  /** Only the VMs that made it through agent installation are registered. */
  @OnEvent(AgentsInstalled, { claimsInbox: true })
  onAgentsInstalled(@Payload() e: EventEnvelope<AgentsInstalledV1>, @Ctx() inbox?: InboxClaim): Promise<void> {
    return this.intake.start('register-vms', e.data.tenantId, e.data.siteId, e.data, e.data.succeeded, inbox);
  }

  @OnEvent(OnboardingRetryRequested)
  onRetry(@Payload() e: EventEnvelope<OnboardingRetryRequestedV1>): Promise<void> {
    return this.intake.retry(e.data, 'register-vms');
  }
}
