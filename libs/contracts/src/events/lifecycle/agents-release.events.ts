import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsString, IsUUID, Matches, MaxLength, ValidateNested } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { MAX_VMS_PER_TENANT, SITE_ID_PATTERN } from '../../onboarding/naming-rules';
import { VmFailure, VmRef } from '../onboarding/onboarding-common';

class AgentsReleaseBase {
  @IsUUID()
  tenantId!: string;

  @Matches(SITE_ID_PATTERN)
  siteId!: string;
}

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
  description: 'Remove-VMs / deprovision: uninstall the Light Agent (Remote Deinstallation) and hand the hosts back to the main server (reconnection with an empty virtual server name).',
});

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
  description: 'Agents taken off the VMs of a remove-vms or deprovision operation (per VM: Light Agent uninstalled and host back on the main server, or why not).',
});
