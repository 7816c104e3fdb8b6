import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, ValidateNested } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { MAX_VMS_PER_TENANT } from '../../onboarding/naming-rules';
import { VmSpec } from '../../onboarding/onboarding-request.dto';
import { LifecycleRequestBase } from './lifecycle-common';

export class VmsAddRequestedV1 extends LifecycleRequestBase {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VMS_PER_TENANT)
  @ValidateNested({ each: true })
  @Type(() => VmSpec)
  vms!: VmSpec[];
}

export const VmsAddRequested = defineEvent({
  name: 'VmsAddRequested',
  version: 1,
  payload: VmsAddRequestedV1,
  producers: ['upstream-order-system'],
  consumers: ['tenant-service'],
  description:
    'An order system adds VMs to an active tenant: agents installed, moved into its vAS and registered for the new VMs only. Refusals: TenantOperationRejected.',
});
