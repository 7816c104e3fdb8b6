import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, MaxLength, Min } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { SITE_ID_PATTERN } from '../../onboarding/naming-rules';

export const LICENSE_LIMIT_SOURCES = ['monitor', 'activation', 'add-vms'] as const;

/**
 * Version 2 of the licence alert: site-level (the monitoring round finds the site's protected VMs at
 * or above its licensed count, or its keys expired), with the tenant only when an operation was
 * held. Additive over v1 except that `tenantId` is optional, hence a new version beside v1 (which
 * activation keeps emitting for a held tenant until its dashboards moved).
 */
export class LicenseLimitReachedV2 {
  @Matches(SITE_ID_PATTERN)
  siteId!: string;

  @IsIn(LICENSE_LIMIT_SOURCES)
  source!: (typeof LICENSE_LIMIT_SOURCES)[number];

  @IsOptional()
  @IsUUID()
  tenantId?: string;

  @IsString()
  @MaxLength(1000)
  reason!: string;

  /** Licensed count: the smaller of the site's configured capacity and the valid keys' `KLLIC_LIC_COUNT` total. */
  @IsOptional()
  @IsInt()
  @Min(0)
  licensedVms?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  usedVms?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  requestedVms?: number;

  @IsOptional()
  @IsISO8601()
  expiresAt?: string;
}

export const LicenseLimitReachedV2Event = defineEvent({
  name: 'LicenseLimitReached',
  version: 2,
  payload: LicenseLimitReachedV2,
  producers: ['activation-service'],
  consumers: [],
  description:
    'Alert: the site uses all of its licensed VMs (or its keys expired); raised by the monitoring round once per crossing.',
});
