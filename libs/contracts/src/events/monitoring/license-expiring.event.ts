import { IsInt, IsISO8601, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { SITE_ID_PATTERN } from '../../onboarding/naming-rules';

/**
 * Alert: a licence key in the site's main Administration Server key storage expires within the
 * configured horizon (`KLLIC_LIMIT_DATE`, LicenseKeys.EnumKeys). Sent once per key and expiry date
 * when it crosses the horizon, not on every monitoring round.
 */
export class LicenseExpiringV1 {
  @Matches(SITE_ID_PATTERN)
  siteId!: string;

  /** `KLLIC_SERIAL` of the key. */
  @IsString()
  @MaxLength(100)
  keySerial!: string;

  @IsOptional()
  @IsString()
  @MaxLength(300)
  productName?: string;

  /** `KLLIC_LIMIT_DATE`. */
  @IsISO8601()
  expiresAt!: string;

  /** Whole days left when the alert was raised (0 = expires today or already expired). */
  @IsInt()
  daysLeft!: number;

  /** The horizon (days) the key crossed. */
  @IsInt()
  @Min(1)
  horizonDays!: number;

  /** `KLLIC_LIC_COUNT`, when the key has one. */
  @IsOptional()
  @IsInt()
  @Min(0)
  licensedCount?: number;
}

export const LicenseExpiring = defineEvent({
  name: 'LicenseExpiring',
  version: 1,
  payload: LicenseExpiringV1,
  producers: ['activation-service'],
  consumers: [],
  description: 'Alert: a licence key of the site expires within the configured horizon (once per key and expiry date).',
});
