import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  EventEnvelope,
  OnboardingRetryRequested,
  OnboardingRetryRequestedV1,
  SvmConfigured,
  SvmConfiguredV1,
} from '@tpo/contracts';
import { InboxClaim, OnEvent } from '@tpo/messaging';
import { StepIntake } from '@tpo/steps';

@Controller()
export class AgentInstallEventsMessageController {
  constructor(private readonly intake: StepIntake) {}

  /** Every VM of the tenant gets a per-VM row (pending); a redelivered event starts nothing new. */
  @OnEvent(SvmConfigured, { claimsInbox: true })
  onSvmConfigured(@Payload() e: EventEnvelope<SvmConfiguredV1>, @Ctx() inbox?: InboxClaim): Promise<void> {
    return this.intake.start('install-agents', e.data.tenantId, e.data.siteId, e.data, e.data.vms, inbox);
  }

  @OnEvent(OnboardingRetryRequested)
  onRetry(@Payload() e: EventEnvelope<OnboardingRetryRequestedV1>): Promise<void> {
    return this.intake.retry(e.data, 'install-agents');
  }
}
