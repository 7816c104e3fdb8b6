import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { OPERATION_KINDS, OperationKind } from './lifecycle-common';

export class TenantOperationRejectedV1 {
  /** As received (may be the invalid field itself), truncated. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  tenantId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  requestId?: string;

  @IsIn(OPERATION_KINDS)
  kind!: OperationKind;

  /** e.g. TENANT_NOT_FOUND, OPERATION_IN_PROGRESS, TENANT_SUSPENDED, TENANT_DEPROVISIONED, INVALID_INPUT. */
  @IsString()
  @MaxLength(100)
  code!: string;

  @IsString()
  @MaxLength(1000)
  reason!: string;

  /** With OPERATION_IN_PROGRESS: the operation that runs now. */
  @IsOptional()
  @IsUUID()
  runningOperationId?: string;
}

export const TenantOperationRejected = defineEvent({
  name: 'TenantOperationRejected',
  version: 1,
  payload: TenantOperationRejectedV1,
  producers: ['tenant-service'],
  consumers: [],
  description: 'A lifecycle request from an order system was refused; nothing was changed.',
});
