import { IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, MaxLength, Min } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { ONBOARDING_STEPS, OnboardingStep } from './onboarding-common';

/** Any step failed. `retryable`: an admin retry may succeed once the cause is fixed. */
export class OnboardingStepFailedV1 {
  @IsUUID()
  tenantId!: string;

  @IsOptional()
  @IsString()
  siteId?: string;

  @IsIn(ONBOARDING_STEPS)
  step!: OnboardingStep;

  @IsString()
  @MaxLength(100)
  code!: string;

  @IsString()
  @MaxLength(2000)
  message!: string;

  @IsBoolean()
  retryable!: boolean;

  @IsInt()
  @Min(1)
  attempt!: number;

  @IsOptional()
  @IsArray()
  @IsUUID('all', { each: true })
  externalTaskIds?: string[];
}

export const OnboardingStepFailed = defineEvent({
  name: 'OnboardingStepFailed',
  version: 1,
  payload: OnboardingStepFailedV1,
  producers: [
    'tenant-service',
    'svm-config-service',
    'agent-install-service',
    'registration-service',
    'activation-service',
  ],
  consumers: ['tenant-service'],
  description: 'A step ended in failure with a code, a message and whether a retry can help.',
});
