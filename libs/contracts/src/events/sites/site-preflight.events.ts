import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { defineEvent } from '../../event-definition';

export const PREFLIGHT_CHECK_STATUSES = ['passed', 'failed', 'warning'] as const;
export type PreflightCheckStatus = (typeof PREFLIGHT_CHECK_STATUSES)[number];

/** One item of a site preflight, e.g. `packages/linux`: failed, with what the admin can act on. */
export class PreflightCheckV1 {
  /** `integration-server`, `ksc`, `ksc-connection`, `deployment`, `reference-policy/<os family>`, `protection-profile/<id>`, `packages/<os family>`, `virtual-servers`, `license-keys`, `push-install-account`. */
  @IsString()
  @MaxLength(100)
  name!: string;

  @IsIn(PREFLIGHT_CHECK_STATUSES)
  status!: PreflightCheckStatus;

  @IsString()
  @MaxLength(2000)
  message!: string;
}

export class SitePreflightCompletedV1 {
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/)
  siteId!: string;

  /** `failed` when any item failed: the site takes no new tenant until a preflight passes. */
  @IsIn(['passed', 'failed'])
  status!: 'passed' | 'failed';

  @IsIn(['registration', 'schedule', 'request'])
  trigger!: 'registration' | 'schedule' | 'request';

  @IsISO8601()
  checkedAt!: string;

  /** Virtual servers on the KSC when checked (`VServers.GetVServers(-1)`), whoever made them; absent when the KSC was not reachable. */
  @IsOptional()
  @IsInt()
  @Min(0)
  kscVirtualServers?: number;

  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PreflightCheckV1)
  checks!: PreflightCheckV1[];
}

export const SitePreflightCompleted = defineEvent({
  name: 'SitePreflightCompleted',
  version: 1,
  payload: SitePreflightCompletedV1,
  producers: ['tenant-service'],
  consumers: [],
  description:
    'A site was checked (at registration, on schedule or on request): Integration Server and KSC reachable, the KSC connection, reference policies, packages per OS family, virtual servers against the 500 cap, licence keys. A failed site takes no new tenants. No credentials.',
});
