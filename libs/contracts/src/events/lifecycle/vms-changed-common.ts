import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, ValidateNested } from 'class-validator';
import { MAX_VMS_PER_TENANT } from '../../onboarding/naming-rules';
import { VmFailure, VmRef } from '../onboarding/onboarding-common';
import { OperationOutcomeBase } from './lifecycle-common';

/** Per-VM results of an add-vms or remove-vms operation. */
export class VmsChangedBase extends OperationOutcomeBase {
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
