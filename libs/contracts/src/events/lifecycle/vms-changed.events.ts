import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, ValidateNested } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { MAX_VMS_PER_TENANT } from '../../onboarding/naming-rules';
import { VmFailure, VmRef } from '../onboarding/onboarding-common';
import { OperationOutcomeBase } from './lifecycle-common';

/** Per-VM results of an add-vms or remove-vms operation. */
class VmsChangedBase extends OperationOutcomeBase {
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

export class VmsAddedV1 extends VmsChangedBase {}
export class VmsRemovedV1 extends VmsChangedBase {}

export const VmsAdded = defineEvent({
  name: 'VmsAdded',
  version: 1,
  payload: VmsAddedV1,
  producers: ['tenant-service'],
  consumers: [],
  description: 'An add-vms operation ended: the VMs protected now (installed, registered, activated) and those that failed, with code and reason.',
});

export const VmsRemoved = defineEvent({
  name: 'VmsRemoved',
  version: 1,
  payload: VmsRemovedV1,
  producers: ['tenant-service'],
  consumers: ['activation-service'],
  description: 'A remove-vms operation ended: VMs unregistered from the Integration Server (per-VM results); activation-service releases their license count.',
});
