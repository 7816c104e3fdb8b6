import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/**
 * The ops console's environment: where to listen, the event stream (read-only: a NATS user that may
 * only subscribe, e.g. `dashboard` of deploy/nats), the services it forwards to, and the same token
 * settings as the services so a session is checked before anything is streamed.
 */
export class OpsConsoleEnv {
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  HTTP_PORT!: number;

  @IsOptional()
  @IsString()
  HTTP_HOST = '127.0.0.1';

  @Matches(/^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/, {
    message: 'NATS_URL must be one or more nats:// URLs separated by commas',
  })
  NATS_URL!: string;

  /** A subscribe-only user (deploy/nats: `dashboard`, publish deny ">"). */
  @IsOptional()
  @IsString()
  NATS_USER?: string;

  @IsOptional()
  @IsString()
  NATS_PASSWORD?: string;

  @IsOptional()
  @IsString()
  NATS_TLS_CA_FILE?: string;

  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{0,31}$/)
  NATS_SUBJECT_PREFIX = 'tpo';

  /** `name=http://host:port` of every service, comma-separated; tenant-service is required. */
  @Matches(/^([a-z][a-z0-9-]*=https?:\/\/[^\s,=]+)(,[a-z][a-z0-9-]*=https?:\/\/[^\s,=]+)*$/, {
    message: 'SERVICE_URLS must be name=http(s)://host:port pairs separated by commas',
  })
  @Matches(/(^|,)tenant-service=/, { message: 'SERVICE_URLS must include tenant-service' })
  SERVICE_URLS!: string;

  @ValidateIf((o: OpsConsoleEnv) => !o.AUTH_JWT_PUBLIC_KEY && !o.AUTH_API_KEYS)
  @IsString()
  @MinLength(32, { message: 'AUTH_JWT_SECRET must be at least 32 characters' })
  AUTH_JWT_SECRET?: string;

  @IsOptional()
  @Matches(/-----BEGIN PUBLIC KEY-----/, { message: 'AUTH_JWT_PUBLIC_KEY must be a PEM public key' })
  AUTH_JWT_PUBLIC_KEY?: string;

  @IsOptional()
  @IsString()
  AUTH_JWT_ISSUER = 'tpo';

  @IsOptional()
  @IsString()
  AUTH_JWT_AUDIENCE = 'tpo-admin';

  @IsOptional()
  @Matches(
    /^[A-Za-z0-9_-]+:(viewer|operator|admin):[0-9a-f]{64}(,[A-Za-z0-9_-]+:(viewer|operator|admin):[0-9a-f]{64})*$/,
    {
      message: 'AUTH_API_KEYS entries are <name>:<viewer|operator|admin>:<sha256 hex>',
    },
  )
  AUTH_API_KEYS?: string;

  /** Where a forwarded call to a service gives up. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120_000)
  PROXY_TIMEOUT_MS = 15_000;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  /** The SERVICE_URLS as a map. */
  serviceUrls(): Record<string, string> {
    return Object.fromEntries(
      this.SERVICE_URLS.split(',')
        .map((pair) => pair.split('=') as [string, string])
        .map(([name, url]) => [name, url.replace(/\/+$/, '')]),
    );
  }
}
