import { Transform } from 'class-transformer';
import { IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { StepServiceEnv } from '@tpo/site-directory';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/** Environment of activation-service; validated at boot (a bad or missing variable stops the process). */
export class ActivationServiceEnv extends StepServiceEnv {
  /** How long the activation task may take on the Integration Server. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  ACTIVATION_TASK_DEADLINE_MS = 300_000;

  /** How often each replica tries the per-site report round (one replica runs it per site); 0 = no scheduled reports. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  REPORT_SCHEDULE_INTERVAL_MS = 300_000;

  /** Length of a scheduled report's period, aligned on the epoch (86400 = UTC days, as the vendor recommends). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(31 * 86_400)
  REPORT_PERIOD_SECONDS = 86_400;

  /** A period is reported only this long after it ended (the vendor recommends at least 60 minutes). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(7 * 86_400)
  REPORT_SETTLE_SECONDS = 3600;

  /** Bytes per range request when downloading a report. */
  @Transform(toInt)
  @IsInt()
  @Min(16)
  @Max(8 * 1024 * 1024)
  REPORT_CHUNK_BYTES = 1024 * 1024;

  /** How long a CreateTenantReport task may take. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  REPORT_TASK_DEADLINE_MS = 600_000;

  /** How often each replica tries the per-site licence round (one replica runs it per site); 0 = no monitoring. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  LICENSE_MONITOR_INTERVAL_MS = 3_600_000;

  /** Days before a key's KLLIC_LIMIT_DATE at which LicenseExpiring is raised (once per key and horizon), comma-separated. */
  @Matches(/^[1-9]\d{0,3}(,[1-9]\d{0,3})*$/, {
    message: 'LICENSE_EXPIRY_HORIZONS_DAYS is a comma list of whole days, e.g. 30,7,1',
  })
  LICENSE_EXPIRY_HORIZONS_DAYS = '30,7,1';

  /**
   * ASSUMPTION (the KSV Light Agent application id is not documented): the keys that count are those
   * whose KLLIC_PROD_NAME matches this case-insensitive pattern.
   */
  @IsString()
  @MaxLength(200)
  LICENSE_KEY_PRODUCT_PATTERN = 'Security for Virtualization';

  /** How long activation reuses a site's key reading (the per-site lock and the VM count are always live). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  LICENSE_KEYS_CACHE_MS = 60_000;
}
