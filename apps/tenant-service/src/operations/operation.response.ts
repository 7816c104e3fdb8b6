import { ApiProperty } from '@nestjs/swagger';
import { OPERATION_KINDS } from '@tpo/contracts';

const nullable = { nullable: true } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

export class OperationResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty({ enum: OPERATION_KINDS }) kind: string;
  @ApiProperty({
    description: 'Who asked: user:<subject> (REST) or order-system:<source> (events), order:<rest|bus> for onboardings',
  })
  requester: string;
  @ApiProperty({ ...nullable, type: 'string' }) correlationId: string | null;
  @ApiProperty({
    ...nullable,
    type: 'string',
    description: "The caller's idempotency key (the order id for an onboarding)",
  })
  requestId: string | null;
  @ApiProperty({ enum: ['running', 'succeeded', 'failed'] }) state: string;
  @ApiProperty({ ...nullable, type: 'string' }) reason: string | null;
  @ApiProperty({ ...nullable, type: 'object', additionalProperties: true }) result: Record<string, unknown> | null;
  @ApiProperty({ ...nullable, type: 'string' }) errorCode: string | null;
  @ApiProperty({ ...nullable, type: 'string' }) errorMessage: string | null;
  @ApiProperty({ ...nullable, type: 'boolean' }) retryable: boolean | null;
  @ApiProperty(dateTime) createdAt: Date;
  @ApiProperty(dateTime) updatedAt: Date;
  @ApiProperty({ ...dateTime, ...nullable }) endedAt: Date | null;
}

export class OperationAcceptedResponse extends OperationResponse {
  @ApiProperty({ description: 'true when the request id was already known (200): the same operation is returned' })
  duplicate: boolean;
}

export class OperationStepResponse {
  @ApiProperty() step: string;
  @ApiProperty({ enum: ['pending', 'running', 'succeeded', 'failed', 'skipped'] }) status: string;
  @ApiProperty({ type: 'integer' }) attempt: number;
  @ApiProperty({ ...dateTime, ...nullable }) startedAt: Date | null;
  @ApiProperty({ ...dateTime, ...nullable }) endedAt: Date | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'What the step found and did (task ids, VMs, skipped reasons)',
  })
  detail: Record<string, unknown>;
  @ApiProperty({ ...nullable, type: 'string' }) errorCode: string | null;
  @ApiProperty({ ...nullable, type: 'string' }) errorMessage: string | null;
}

export class OperationDetailResponse extends OperationResponse {
  @ApiProperty({
    type: OperationStepResponse,
    isArray: true,
    description: 'Steps in order (an onboarding shows its pipeline timeline)',
  })
  steps: OperationStepResponse[];
}

export class OperationPageResponse {
  @ApiProperty({ type: OperationResponse, isArray: true }) items: OperationResponse[];
  @ApiProperty({ type: 'integer' }) total: number;
  @ApiProperty({ type: 'integer' }) limit: number;
  @ApiProperty({ type: 'integer' }) offset: number;
}
