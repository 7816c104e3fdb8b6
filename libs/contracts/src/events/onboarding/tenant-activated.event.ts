import { IsInt, IsString, MaxLength, Min } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { TenantStepBase } from './onboarding-common';

/** Step 6 done: the tenant is Active in the Integration Server (read back). */
export class TenantActivatedV1 extends TenantStepBase {
  @IsString()
  @MaxLength(100)
  integrationServerTenantId!: string;

  @IsInt()
  @Min(0)
  activeVms!: number;
}

export const TenantActivated = defineEvent({
  name: 'TenantActivated',
  version: 1,
  payload: TenantActivatedV1,
  producers: ['activation-service'],
  consumers: ['tenant-service'],
  description: 'Step 6 completed: license checked, tenant activated and confirmed Active.',
});
