import { IsBoolean, IsIn, IsString, MaxLength } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { OPERATION_KINDS, OperationKind, OperationOutcomeBase } from './lifecycle-common';

export class TenantOperationFailedV1 extends OperationOutcomeBase {
  @IsIn(OPERATION_KINDS)
  kind!: OperationKind;

  @IsString()
  @MaxLength(100)
  step!: string;

  @IsString()
  @MaxLength(100)
  code!: string;

  @IsString()
  @MaxLength(2000)
  message!: string;

  @IsBoolean()
  retryable!: boolean;
}

export const TenantOperationFailed = defineEvent({
  name: 'TenantOperationFailed',
  version: 1,
  payload: TenantOperationFailedV1,
  producers: ['tenant-service'],
  consumers: [],
  description:
    'A lifecycle operation (suspend, resume, deprovision, ...) stopped at a step; an operator retries it (POST /v1/operations/:id/retry).',
});
