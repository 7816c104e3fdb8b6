import { IsOptional, IsString, MaxLength } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { OperationOutcomeBase } from './lifecycle-common';

export class TenantResumedV1 extends OperationOutcomeBase {
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export const TenantResumed = defineEvent({
  name: 'TenantResumed',
  version: 1,
  payload: TenantResumedV1,
  producers: ['tenant-service'],
  consumers: [],
  description: 'A suspended tenant is active again on its Integration Server (protection resumes).',
});
