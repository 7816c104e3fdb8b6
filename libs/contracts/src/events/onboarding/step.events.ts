import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsIP,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { defineEvent } from '../../event-definition';
import { MAX_VMS_PER_TENANT, TENANT_NAME_PATTERN } from '../../onboarding/naming-rules';
import { ProtectionOptions, VmSpec } from '../../onboarding/onboarding-request.dto';
import { ONBOARDING_STEPS, OnboardingStep, TenantStepBase, VmFailure, VmRef } from './onboarding-common';

/** Step 1 done: the Integration Server created the tenant, its vAS and the admin account. */
/** Fields of the events that carry a tenant's vAS and VM inventory down the pipeline. */
class TenantVasBase extends TenantStepBase {
  @IsString()
  @MaxLength(100)
  integrationServerTenantId!: string;

  /** KSC id of the virtual Administration Server (vKsc/@id). */
  @IsString()
  @MaxLength(100)
  virtualServerId!: string;

  @IsArray()
  @ArrayMaxSize(MAX_VMS_PER_TENANT)
  @ValidateNested({ each: true })
  @Type(() => VmSpec)
  vms!: VmSpec[];
}

export class TenantCreatedV1 extends TenantVasBase {
  @IsString()
  @MaxLength(100)
  orderId!: string;

  @Matches(TENANT_NAME_PATTERN)
  tenantName!: string;

  @IsString()
  @MaxLength(64)
  adminAccountName!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => ProtectionOptions)
  protection?: ProtectionOptions;
}

export const TenantCreated = defineEvent({
  name: 'TenantCreated',
  version: 1,
  payload: TenantCreatedV1,
  producers: ['tenant-service'],
  consumers: ['svm-config-service'],
  description: 'Step 1 (tenant + virtual Administration Server + admin account) completed. No password.',
});

/** One Light Agent policy of a tenant (one per OS family among its VMs). */
export class AppliedLightAgentPolicy {
  @IsIn(['windows', 'linux'])
  osFamily!: string;

  @IsString()
  @MaxLength(200)
  name!: string;
}

export class AppliedSvmConfig {
  /** Display name(s) of the tenant's Light Agent policies, comma-separated when several OS families. */
  @IsString()
  @MaxLength(200)
  lightAgentPolicy!: string;

  /** Per OS family (added in issue 8; absent in older events). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => AppliedLightAgentPolicy)
  lightAgentPolicies?: AppliedLightAgentPolicy[];

  /** Port the Light Agents use to reach the Integration Server (site `integrationServer.agentPort`, default 7271). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  integrationServerPort?: number;

  @IsIn(['integration-server'])
  discovery!: 'integration-server';

  @IsIP(4)
  integrationServerAddress!: string;

  @IsArray()
  @IsString({ each: true })
  connectionTags!: string[];

  @IsString()
  svmPathScope!: string;

  @IsString()
  protectionProfile!: string;

  @IsString()
  @MaxLength(200)
  protectionServerPolicy!: string;

  @IsBoolean()
  locked!: boolean;
}

/** Steps 2-3 done: SVM path, Protection Server settings, SVM discovery, general Light Agent settings. */
export class SvmConfiguredV1 extends TenantVasBase {
  /** Display name of the vAS (KLVSRV_DN): what agents and admins connect to. */
  @IsString()
  @MaxLength(200)
  virtualServerName!: string;

  @ValidateNested()
  @Type(() => AppliedSvmConfig)
  applied!: AppliedSvmConfig;
}

export const SvmConfigured = defineEvent({
  name: 'SvmConfigured',
  version: 1,
  payload: SvmConfiguredV1,
  producers: ['svm-config-service'],
  consumers: ['agent-install-service', 'tenant-service'],
  description: 'Steps 2-3 completed: policies applied (discovery via the Integration Server, locked).',
});

class VmOutcome extends TenantStepBase {
  @IsString()
  @MaxLength(100)
  integrationServerTenantId!: string;

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

/** Step 4 done: VMs with Network Agent + Light Agent in the tenant's vAS; per-VM failures listed. */
export class AgentsInstalledV1 extends VmOutcome {
  @IsString()
  @MaxLength(200)
  virtualServerName!: string;
}

export const AgentsInstalled = defineEvent({
  name: 'AgentsInstalled',
  version: 1,
  payload: AgentsInstalledV1,
  producers: ['agent-install-service'],
  consumers: ['registration-service', 'tenant-service'],
  description: 'Step 4 completed for at least one VM: `succeeded` VMs are in the vAS with agents; `failed` VMs with code and reason.',
});

/** Step 5 done: installed VMs' BIOS ids registered with the Integration Server. */
export class VmsRegisteredV1 extends VmOutcome {}

export const VmsRegistered = defineEvent({
  name: 'VmsRegistered',
  version: 1,
  payload: VmsRegisteredV1,
  producers: ['registration-service'],
  consumers: ['activation-service', 'tenant-service'],
  description: 'Step 5 completed: `succeeded` VMs registered (or already registered to this tenant); `failed` per VM.',
});

/** Step 6 done: the tenant is Active in the Integration Server (read back). */
export class TenantActivatedV1 extends TenantStepBase {
  @IsString()
  @MaxLength(100)
  integrationServerTenantId!: string;

  @IsInt()
  @Min(0)
  activeVms!: number;
}

export const TenantActivated = defineEvent({
  name: 'TenantActivated',
  version: 1,
  payload: TenantActivatedV1,
  producers: ['activation-service'],
  consumers: ['tenant-service'],
  description: 'Step 6 completed: license checked, tenant activated and confirmed Active.',
});

export class LicenseLimitReachedV1 extends TenantStepBase {
  @IsString()
  @MaxLength(1000)
  reason!: string;

  @IsOptional()
  @IsInt()
  licensedVms?: number;

  @IsOptional()
  @IsInt()
  usedVms?: number;

  @IsOptional()
  @IsInt()
  requestedVms?: number;

  @IsOptional()
  @IsString()
  expiresAt?: string;
}

export const LicenseLimitReached = defineEvent({
  name: 'LicenseLimitReached',
  version: 1,
  payload: LicenseLimitReachedV1,
  producers: ['activation-service'],
  consumers: [],
  description: 'Alert: activating the tenant would exceed the site license (VM capacity or expiry); the tenant is held.',
});

/** Any step failed. `retryable`: an admin retry may succeed once the cause is fixed. */
export class OnboardingStepFailedV1 {
  @IsUUID()
  tenantId!: string;

  @IsOptional()
  @IsString()
  siteId?: string;

  @IsIn(ONBOARDING_STEPS)
  step!: OnboardingStep;

  @IsString()
  @MaxLength(100)
  code!: string;

  @IsString()
  @MaxLength(2000)
  message!: string;

  @IsBoolean()
  retryable!: boolean;

  @IsInt()
  @Min(1)
  attempt!: number;

  @IsOptional()
  @IsArray()
  @IsUUID('all', { each: true })
  externalTaskIds?: string[];
}

export const OnboardingStepFailed = defineEvent({
  name: 'OnboardingStepFailed',
  version: 1,
  payload: OnboardingStepFailedV1,
  producers: ['tenant-service', 'svm-config-service', 'agent-install-service', 'registration-service', 'activation-service'],
  consumers: ['tenant-service'],
  description: 'A step ended in failure with a code, a message and whether a retry can help.',
});

export class OnboardingRetryRequestedV1 {
  @IsUUID()
  tenantId!: string;

  @IsIn(ONBOARDING_STEPS)
  step!: OnboardingStep;

  @IsInt()
  @Min(2)
  attempt!: number;
}

export const OnboardingRetryRequested = defineEvent({
  name: 'OnboardingRetryRequested',
  version: 1,
  payload: OnboardingRetryRequestedV1,
  producers: ['tenant-service'],
  consumers: ['svm-config-service', 'agent-install-service', 'registration-service', 'activation-service'],
  description: 'An admin asked to resume a failed tenant at its failed step; the owning service re-runs it from its stored input.',
});

export class AdministrationServerAddress {
  @IsString()
  @MaxLength(300)
  address!: string;

  @IsInt()
  port!: number;

  @IsString()
  @MaxLength(200)
  virtualServerName!: string;

  /** `<KSC address>/<vAS name>`: the Network Agent / console form (ksc-openapi.md §5 phase E). */
  @IsString()
  @MaxLength(600)
  connectionString!: string;
}

/** Handover: everything the tenant admin needs except the password (revealed once over REST). */
export class TenantReadyV1 extends TenantStepBase {
  @IsString()
  @MaxLength(100)
  orderId!: string;

  @ValidateNested()
  @Type(() => AdministrationServerAddress)
  administrationServer!: AdministrationServerAddress;

  @IsString()
  @MaxLength(64)
  adminAccountName!: string;
}

export const TenantReady = defineEvent({
  name: 'TenantReady',
  version: 1,
  payload: TenantReadyV1,
  producers: ['tenant-service'],
  consumers: [],
  description: 'Onboarding finished: vAS address and admin account name (no secret). The password is revealed once over REST.',
});

