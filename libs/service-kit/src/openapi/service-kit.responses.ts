import { ApiProperty } from '@nestjs/swagger';
import { ONBOARDING_STEPS, OnboardingStep } from '@tpo/contracts';
import { ROLES } from '@tpo/platform';

const nullable = { nullable: true } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

export class RoutePolicyResponse {
  @ApiProperty({ example: 'POST' }) method: string;
  @ApiProperty({ example: '/v1/tenants/:id/retry' }) path: string;
  @ApiProperty({ enum: ['public', ...ROLES], description: 'public, or the least role the route needs' }) access: string;
}

export class AuditEntryResponse {
  @ApiProperty() id: string;
  @ApiProperty(dateTime) at: Date;
  @ApiProperty({ description: 'JWT subject or api-key:<name>' }) actor: string;
  @ApiProperty({ enum: ROLES, isArray: true }) roles: string[];
  @ApiProperty({
    enum: ['jwt', 'api-key', 'none', 'config', 'service-token'],
    description: 'none: a refused anonymous request; service-token: a step service reading site credentials',
  })
  via: string;
  @ApiProperty({ example: 'POST /v1/tenants/:id/retry' }) action: string;
  @ApiProperty({ type: 'string', ...nullable }) target: string | null;
  @ApiProperty({ type: 'integer', description: 'HTTP status of the answer' }) outcome: number;
  @ApiProperty({ type: 'string', ...nullable }) sourceIp: string | null;
  @ApiProperty({ type: 'string', ...nullable }) correlationId: string | null;
}

export class AuditPageResponse {
  @ApiProperty({ type: AuditEntryResponse, isArray: true }) items: AuditEntryResponse[];
  @ApiProperty({ type: 'integer' }) total: number;
}

/** One onboarding step's work record in a step service (the step's input is never shown). */
export class StepWorkResponse {
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty({
    description: "'' for the tenant's onboarding; the operation id for a later operation's run (e.g. add-vms)",
  })
  runId: string;
  @ApiProperty({ enum: ONBOARDING_STEPS }) step: OnboardingStep;
  @ApiProperty() siteId: string;
  @ApiProperty({ enum: ['pending', 'running', 'succeeded', 'failed'] }) status: string;
  @ApiProperty({ type: 'integer' }) attempt: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    ...nullable,
    description: 'What the step produced (ids on the Kaspersky side)',
  })
  output: Record<string, unknown> | null;
  @ApiProperty({ type: 'string', ...nullable }) errorCode: string | null;
  @ApiProperty({ type: 'string', ...nullable }) errorMessage: string | null;
  @ApiProperty({ type: 'boolean', ...nullable }) retryable: boolean | null;
  @ApiProperty(dateTime) createdAt: Date;
  @ApiProperty(dateTime) updatedAt: Date;
}

export class StepVmResponse {
  @ApiProperty({ format: 'uuid' }) biosUuid: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['pending', 'in_progress', 'succeeded', 'failed'] }) status: string;
  @ApiProperty({ type: 'object', additionalProperties: true, ...nullable }) detail: Record<string, unknown> | null;
  @ApiProperty({ type: 'string', ...nullable }) errorCode: string | null;
  @ApiProperty({ type: 'string', ...nullable }) errorMessage: string | null;
  @ApiProperty(dateTime) updatedAt: Date;
}

export class StepDetailResponse extends StepWorkResponse {
  @ApiProperty({ type: StepVmResponse, isArray: true }) vms: StepVmResponse[];
}
