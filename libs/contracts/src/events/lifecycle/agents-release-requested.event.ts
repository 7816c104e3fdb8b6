import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsString, MaxLength, ValidateNested } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { MAX_VMS_PER_TENANT } from '../../onboarding/naming-rules';
import { VmRef } from '../onboarding/onboarding-common';
import { AgentsReleaseBase } from './agents-release-common';

/**
 * Remove-VMs and deprovision (issue 10): take the tenant's agents off these VMs. The envelope
 * carries the operation id (`operationid`).
 */
export class AgentsReleaseRequestedV1 extends AgentsReleaseBase {
  /** Display name of the tenant's vAS (KLVSRV_DN), where the VMs' agents are connected. */
  @IsString()
  @MaxLength(200)
  virtualServerName!: string;

  @IsArray()
  @ArrayMaxSize(MAX_VMS_PER_TENANT)
  @ValidateNested({ each: true })
  @Type(() => VmRef)
  vms!: VmRef[];
}

export const AgentsReleaseRequested = defineEvent({
  name: 'AgentsReleaseRequested',
  version: 1,
  payload: AgentsReleaseRequestedV1,
  producers: ['tenant-service'],
  consumers: ['agent-install-service'],
  description:
    'Remove-VMs / deprovision: uninstall the Light Agent (Remote Deinstallation) and hand the hosts back to the main server (reconnection with an empty virtual server name).',
});
