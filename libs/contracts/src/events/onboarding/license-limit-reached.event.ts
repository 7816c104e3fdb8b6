import { IsInt, IsOptional, IsString, MaxLength } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { TenantStepBase } from './onboarding-common';

export class LicenseLimitReachedV1 extends TenantStepBase {
  @IsString()
  @MaxLength(1000)
  reason!: string;

  @IsOptional()
  @IsInt()
  licensedVms?: number;

  @IsOptional()
  @IsInt()
  usedVms?: number;

  @IsOptional()
  @IsInt()
  requestedVms?: number;

  @IsOptional()
  @IsString()
  expiresAt?: string;
}

export const LicenseLimitReached = defineEvent({
  name: 'LicenseLimitReached',
  version: 1,
  payload: LicenseLimitReachedV1,
  producers: ['activation-service'],
  consumers: [],
  description:
    'Alert: activating the tenant would exceed the site license (VM capacity or expiry); the tenant is held.',
});
