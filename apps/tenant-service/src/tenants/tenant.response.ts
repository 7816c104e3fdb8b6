import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { ONBOARDING_STEPS, TENANT_LIFECYCLES } from '@tpo/contracts';

const nullable = { nullable: true } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

class StepFailureResponse {
  @ApiProperty({ enum: ONBOARDING_STEPS }) step: string;
  @ApiProperty({ example: 'KSC_LICENSE_LIMIT' }) code: string;
  @ApiProperty() message: string;
  @ApiProperty({ description: 'Whether POST /v1/tenants/{id}/retry may resume it' }) retryable: boolean;
}

@ApiExtraModels(StepFailureResponse)
export class TenantSummaryResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'The upstream order id (idempotency key)' }) orderId: string;
  @ApiProperty() name: string;
  @ApiProperty() siteId: string;
  @ApiProperty({ enum: ['onboarding', 'failed', 'ready'], description: 'Progress of the onboarding' }) status: string;
  @ApiProperty({
    enum: TENANT_LIFECYCLES,
    description: "Lifecycle status, apart from any operation's progress (GET /v1/tenants/{id}/operations)",
  })
  lifecycle: string;
  @ApiProperty({
    nullable: true,
    type: 'string',
    description: 'Why the lifecycle last changed (e.g. the suspend reason)',
  })
  lifecycleReason: string | null;
  @ApiProperty({ enum: ONBOARDING_STEPS }) currentStep: string;
  @ApiProperty() adminAccountName: string;
  @ApiProperty({
    nullable: true,
    allOf: [{ $ref: getSchemaPath(StepFailureResponse) }],
    description: 'Why onboarding stopped (status failed)',
  })
  failure: StepFailureResponse | null;
  @ApiProperty(dateTime) createdAt: Date;
  @ApiProperty(dateTime) updatedAt: Date;
  @ApiProperty({ ...dateTime, ...nullable }) readyAt: Date | null;
}

export class TenantCreatedResponse extends TenantSummaryResponse {
  @ApiProperty({ description: 'true when the order id was already known (200) — the same tenant is returned' })
  duplicate: boolean;
}

export class TenantPageResponse {
  @ApiProperty({ type: TenantSummaryResponse, isArray: true }) items: TenantSummaryResponse[];
  @ApiProperty({ type: 'integer' }) total: number;
  @ApiProperty({ type: 'integer' }) limit: number;
  @ApiProperty({ type: 'integer' }) offset: number;
}

class VirtualAdministrationServerResponse {
  @ApiProperty() id: string;
  @ApiPropertyOptional() name?: string;
  @ApiProperty({ description: 'Public address of the site KSC' }) address: string;
  @ApiPropertyOptional({ example: 'ksc.example/tenant-a' }) connectionString?: string;
}

const vmFailures = { type: 'array', items: { $ref: getSchemaPath('VmFailure') } } as const;

class VmCountsResponse {
  @ApiProperty({ type: 'integer' }) requested: number;
  @ApiPropertyOptional({ type: 'integer' }) installed?: number;
  @ApiPropertyOptional({ ...vmFailures, description: 'VMs whose agent installation failed' }) installFailed?: unknown[];
  @ApiPropertyOptional({ type: 'integer' }) registered?: number;
  @ApiPropertyOptional({ ...vmFailures, description: 'VMs whose registration failed' }) registrationFailed?: unknown[];
  @ApiPropertyOptional({ type: 'integer', description: 'VMs protected after activation' }) active?: number;
}

class PasswordStateResponse {
  @ApiProperty({
    enum: ['not-created', 'available', 'revealed', 'reset-required'],
    description: 'Where the initial admin password stands; never the password',
  })
  state: string;
  @ApiPropertyOptional(dateTime) revealExpiresAt?: Date;
  @ApiPropertyOptional(dateTime) revealedAt?: Date;
  @ApiPropertyOptional() revealedBy?: string;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional(dateTime) destroyedAt?: Date;
}

class TimelineStepResponse {
  @ApiProperty({ enum: ONBOARDING_STEPS }) step: string;
  @ApiProperty({ enum: ['pending', 'running', 'succeeded', 'failed'] }) status: string;
  @ApiPropertyOptional({ type: 'integer' }) attempt?: number;
  @ApiPropertyOptional({ ...dateTime, ...nullable }) startedAt?: Date | null;
  @ApiPropertyOptional({ ...dateTime, ...nullable }) endedAt?: Date | null;
  @ApiPropertyOptional({ type: 'string', isArray: true, description: 'Kaspersky task ids of this step' })
  externalTaskIds?: string[];
  @ApiPropertyOptional({ type: 'string', ...nullable }) errorCode?: string | null;
  @ApiPropertyOptional({ type: 'string', ...nullable }) errorMessage?: string | null;
  @ApiPropertyOptional({ type: 'boolean', ...nullable }) retryable?: boolean | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, ...nullable }) details?: Record<
    string,
    unknown
  > | null;
}

export class TenantDetailResponse extends TenantSummaryResponse {
  @ApiPropertyOptional() description?: string;
  @ApiProperty({ type: 'string', ...nullable, description: 'The tenant id in the Integration Server' })
  integrationServerTenantId: string | null;
  @ApiPropertyOptional({ type: VirtualAdministrationServerResponse, description: 'Present once the vAS exists' })
  virtualAdministrationServer?: VirtualAdministrationServerResponse;
  @ApiProperty({ type: VmCountsResponse, description: 'Requested VMs, and per-step counts and failures once known' })
  vms: VmCountsResponse;
  @ApiProperty({ type: PasswordStateResponse }) initialAdminPassword: PasswordStateResponse;
  @ApiProperty({ type: TimelineStepResponse, isArray: true, description: 'Every onboarding step in order' })
  timeline: TimelineStepResponse[];
}

class AdministrationServerResponse {
  @ApiProperty() address: string;
  @ApiProperty() virtualServerName: string;
  @ApiProperty() connectionString: string;
}

export class RevealedCredentialsResponse {
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty() adminAccountName: string;
  @ApiProperty({ format: 'password', description: 'The initial password — shown once, then destroyed' })
  password: string;
  @ApiProperty({ type: AdministrationServerResponse }) administrationServer: AdministrationServerResponse;
  @ApiProperty() advice: string;
}
