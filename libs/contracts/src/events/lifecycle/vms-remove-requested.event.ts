import { ArrayMaxSize, ArrayMinSize, IsArray, IsUUID } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { MAX_VMS_PER_TENANT } from '../../onboarding/naming-rules';
import { LifecycleRequestBase } from './lifecycle-common';

export class VmsRemoveRequestedV1 extends LifecycleRequestBase {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VMS_PER_TENANT)
  @IsUUID('all', { each: true })
  biosUuids!: string[];
}

export const VmsRemoveRequested = defineEvent({
  name: 'VmsRemoveRequested',
  version: 1,
  payload: VmsRemoveRequestedV1,
  producers: ['upstream-order-system'],
  consumers: ['tenant-service'],
  description:
    "An order system removes VMs from a tenant (unregistered from the Integration Server). A VM that is not the tenant's is refused: TenantOperationRejected.",
});
