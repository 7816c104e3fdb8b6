import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  EventEnvelope,
  OnboardingRetryRequested,
  OnboardingRetryRequestedV1,
  VmsRegistered,
  VmsRegisteredV1,
} from '@tpo/contracts';
import { OnEvent } from '@tpo/messaging';
import { StepIntake } from '@tpo/steps';

@Controller()
export class ActivationEventsMessageController {
  constructor(private readonly intake: StepIntake) {}

  @OnEvent(VmsRegistered)
  onVmsRegistered(@Payload() e: EventEnvelope<VmsRegisteredV1>): Promise<void> {
    return this.intake.start('activate', e.data.tenantId, e.data.siteId, e.data, e.data.succeeded);
  }

  @OnEvent(OnboardingRetryRequested)
  onRetry(@Payload() e: EventEnvelope<OnboardingRetryRequestedV1>): Promise<void> {
    return this.intake.retry(e.data, 'activate');
  }
}
