import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsString, MaxLength, ValidateNested } from 'class-validator';
import { MAX_VMS_PER_TENANT } from '../../onboarding/naming-rules';
import { VmSpec } from '../../onboarding/onboarding-request.dto';
import { TenantStepBase, VmFailure, VmRef } from './onboarding-common';

/** Fields of the events that carry a tenant's vAS and VM inventory down the pipeline. */
export class TenantVasBase extends TenantStepBase {
  @IsString()
  @MaxLength(100)
  integrationServerTenantId!: string;

  /** KSC id of the virtual Administration Server (vKsc/@id). */
  @IsString()
  @MaxLength(100)
  virtualServerId!: string;

  @IsArray()
  @ArrayMaxSize(MAX_VMS_PER_TENANT)
  @ValidateNested({ each: true })
  @Type(() => VmSpec)
  vms!: VmSpec[];
}
export class VmOutcome extends TenantStepBase {
  @IsString()
  @MaxLength(100)
  integrationServerTenantId!: string;

  @IsArray()
  @ArrayMaxSize(MAX_VMS_PER_TENANT)
  @ValidateNested({ each: true })
  @Type(() => VmRef)
  succeeded!: VmRef[];

  @IsArray()
  @ArrayMaxSize(MAX_VMS_PER_TENANT)
  @ValidateNested({ each: true })
  @Type(() => VmFailure)
  failed!: VmFailure[];
}
