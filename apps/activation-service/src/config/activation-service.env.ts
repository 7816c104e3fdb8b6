import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
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
}
