import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { BaseServiceEnv } from '@tpo/platform';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/** Environment of tenant-service; validated at boot (a bad or missing variable stops the process). */
export class TenantServiceEnv extends BaseServiceEnv {
  /** Master keys for envelope encryption: `<id>:<base64 of 32 bytes>[,<id>:<key>...]`; the last is active. */
  @Matches(/^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]{43,44}(,[A-Za-z0-9_-]+:[A-Za-z0-9+/=]{43,44})*$/, {
    message: 'SECRETS_MASTER_KEYS must be <key id>:<base64 of 32 random bytes>[,...]',
  })
  SECRETS_MASTER_KEYS!: string;

  /** Bearer token other services present to read site connections (/internal/v1/...). */
  @IsString()
  @MinLength(24)
  INTERNAL_API_TOKEN!: string;

  /** JSON file of sites to register at boot (their secrets as {"env": NAME} or {"file": path} references). */
  @IsOptional()
  @IsString()
  SITES_FILE?: string;

  /** Address classes site URLs may use beyond private/public ranges, e.g. `loopback` for a local simulator. */
  @IsOptional()
  @Matches(/^(loopback|link-local)(,(loopback|link-local))*$/, {
    message: 'SITE_URL_ALLOW is a comma list of: loopback, link-local',
  })
  SITE_URL_ALLOW?: string;

  /** An unrevealed admin password is destroyed after this many hours (the tenant is flagged for a reset). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 30)
  PASSWORD_REVEAL_TTL_HOURS = 72;

  /** How long step 1 waits for the Integration Server's CreateTenant task. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  CREATE_TASK_DEADLINE_MS = 900_000;

  /**
   * How long a deprovision waits for a leftover virtual server's deletion (VServers.DelVServer):
   * after a crash between the call and its answer, the vAS is looked up until this long after the
   * call before it would be deleted again.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  VSERVER_DELETE_DEADLINE_MS = 600_000;

  /**
   * After a create attempt whose outcome is unknown (crash between the call and recording its task
   * id), CreateTenant tasks started this long before the recorded intent are inspected too: allows
   * for the Integration Server's clock being behind ours.
   */
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  CREATE_INTENT_CLOCK_SKEW_MS = 300_000;

  /**
   * How often each site's preflight runs (issue 8): every replica ticks, one claims the due sites.
   * A site is also checked when it is registered and on `POST /v1/sites/:id/preflight`.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(7 * 24 * 3_600_000)
  SITE_PREFLIGHT_INTERVAL_MS = 900_000;

  /** A site whose preflight failed is checked again this soon (at most the interval): a passing check returns it to placement. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(7 * 24 * 3_600_000)
  SITE_PREFLIGHT_FAILED_RECHECK_MS = 60_000;

  /** Serve site credentials over plain HTTP to non-loopback callers only behind a mesh that provides mTLS. */
  @IsOptional()
  @IsIn(['mesh-mtls'])
  INTERNAL_API_PLAINTEXT?: 'mesh-mtls';
}
