import { IsIn, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { SITE_ID_PATTERN } from '../../onboarding/naming-rules';

/** The onboarding steps, in order (the vendor's procedure, integration-server-api.md §8). */
export const ONBOARDING_STEPS = [
  'create-tenant',
  'configure-svm',
  'install-agents',
  'register-vms',
  'activate',
  'handover',
] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

/** Fields every onboarding step event carries. */
export class TenantStepBase {
  @IsUUID()
  tenantId!: string;

  @Matches(SITE_ID_PATTERN)
  siteId!: string;
}

export class VmRef {
  @IsUUID()
  biosUuid!: string;

  @IsString()
  @MaxLength(63)
  name!: string;
}

export class VmFailure extends VmRef {
  @IsString()
  @MaxLength(100)
  code!: string;

  @IsString()
  @MaxLength(1000)
  message!: string;
}

export class StepRef {
  @IsIn(ONBOARDING_STEPS)
  step!: OnboardingStep;
}
