import { IsIn, IsInt, IsUUID, Min } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { ONBOARDING_STEPS, OnboardingStep } from './onboarding-common';

export class OnboardingRetryRequestedV1 {
  @IsUUID()
  tenantId!: string;

  @IsIn(ONBOARDING_STEPS)
  step!: OnboardingStep;

  @IsInt()
  @Min(2)
  attempt!: number;
}

export const OnboardingRetryRequested = defineEvent({
  name: 'OnboardingRetryRequested',
  version: 1,
  payload: OnboardingRetryRequestedV1,
  producers: ['tenant-service'],
  consumers: ['svm-config-service', 'agent-install-service', 'registration-service', 'activation-service'],
  description:
    'An admin asked to resume a failed tenant at its failed step; the owning service re-runs it from its stored input.',
});
