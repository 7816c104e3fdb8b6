import { Type } from 'class-transformer';
import { IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { TENANT_NAME_PATTERN } from '../../onboarding/naming-rules';
import { ProtectionOptions } from '../../onboarding/onboarding-request.dto';
import { TenantVasBase } from './step-common';

/** Step 1 done: the Integration Server created the tenant, its vAS and the admin account. */
export class TenantCreatedV1 extends TenantVasBase {
  @IsString()
  @MaxLength(100)
  orderId!: string;

  @Matches(TENANT_NAME_PATTERN)
  tenantName!: string;

  @IsString()
  @MaxLength(64)
  adminAccountName!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => ProtectionOptions)
  protection?: ProtectionOptions;
}

export const TenantCreated = defineEvent({
  name: 'TenantCreated',
  version: 1,
  payload: TenantCreatedV1,
  producers: ['tenant-service'],
  consumers: ['svm-config-service'],
  description: 'Step 1 (tenant + virtual Administration Server + admin account) completed. No password.',
});
