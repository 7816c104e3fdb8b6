import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, ValidateNested } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { MAX_VMS_PER_TENANT } from '../../onboarding/naming-rules';
import { VmFailure, VmRef } from '../onboarding/onboarding-common';
import { AgentsReleaseBase } from './agents-release-common';

export class AgentsReleasedV1 extends AgentsReleaseBase {
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

export const AgentsReleased = defineEvent({
  name: 'AgentsReleased',
  version: 1,
  payload: AgentsReleasedV1,
  producers: ['agent-install-service'],
  consumers: ['tenant-service'],
  description:
    'Agents taken off the VMs of a remove-vms or deprovision operation (per VM: Light Agent uninstalled and host back on the main server, or why not).',
});
