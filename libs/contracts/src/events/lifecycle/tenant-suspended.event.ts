import { IsOptional, IsString, MaxLength } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { OperationOutcomeBase } from './lifecycle-common';

export class TenantSuspendedV1 extends OperationOutcomeBase {
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export const TenantSuspended = defineEvent({
  name: 'TenantSuspended',
  version: 1,
  payload: TenantSuspendedV1,
  producers: ['tenant-service'],
  consumers: [],
  description:
    'The tenant is deactivated on its Integration Server (its Light Agents get no SVM: protection stops); no add-VMs while suspended.',
});
