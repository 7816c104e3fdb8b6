import { IsIn, IsInt, IsISO8601, IsUUID, Matches, Min } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { SITE_ID_PATTERN } from '../../onboarding/naming-rules';

export const REPORT_TRIGGERS = ['schedule', 'on-demand'] as const;
export type ReportTrigger = (typeof REPORT_TRIGGERS)[number];

/**
 * A tenant's protection report (the Integration Server's CSV of VM protection periods, the
 * provider's billing input) was generated, downloaded and stored. Only figures travel: the content
 * stays in activation-service (`GET /v1/reports/:id/content`), never on the bus.
 */
export class ProtectionReportReadyV1 {
  @IsUUID()
  reportId!: string;

  @IsUUID()
  tenantId!: string;

  @Matches(SITE_ID_PATTERN)
  siteId!: string;

  @IsISO8601()
  periodFrom!: string;

  @IsISO8601()
  periodTo!: string;

  @IsIn(REPORT_TRIGGERS)
  trigger!: ReportTrigger;

  /** Protection periods (CSV rows) in the report. */
  @IsInt()
  @Min(0)
  rows!: number;

  /** Distinct VMs protected at some time in the period. */
  @IsInt()
  @Min(0)
  protectedVms!: number;

  @IsInt()
  @Min(0)
  bytes!: number;

  /** SHA-256 (hex) of the stored content, so a billing system can check its download. */
  @Matches(/^[0-9a-f]{64}$/)
  sha256!: string;
}

export const ProtectionReportReady = defineEvent({
  name: 'ProtectionReportReady',
  version: 1,
  payload: ProtectionReportReadyV1,
  producers: ['activation-service'],
  consumers: [],
  description:
    'A tenant protection report for a period is stored and downloadable (figures only; the content never travels on the bus).',
});
