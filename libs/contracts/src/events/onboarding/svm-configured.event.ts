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
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { defineEvent } from '../../event-definition';
import { TenantVasBase } from './step-common';

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
