import { plainToInstance, Transform } from 'class-transformer';
import {
  getMetadataStorage,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/** Variables every service reads. Each app extends this with its own. */
export class BaseServiceEnv {
  @IsOptional()
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  HTTP_PORT!: number;

  @IsOptional()
  @IsString()
  HTTP_HOST = '127.0.0.1';

  /** postgres://<service role>:<password>@host:port/db — the service's own role. */
  @Matches(/^postgres(ql)?:\/\/[^\s]+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  /** The Postgres schema this service owns (tables, migrations). */
  @Matches(/^[a-z][a-z0-9_]{0,62}$/, { message: 'DATABASE_SCHEMA must be a lower-case SQL identifier' })
  DATABASE_SCHEMA!: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  DATABASE_POOL_SIZE = 10;

  /**
   * `on`: parameterised statements run as named prepared statements, parsed once per connection
   * (docs/performance.md, 11.l). `off` for a connection pooler in transaction mode that does not
   * keep prepared statements across transactions (PgBouncer before 1.21, or without
   * `max_prepared_statements`).
   */
  @IsOptional()
  @IsIn(['on', 'off'])
  DATABASE_PREPARED_STATEMENTS: 'on' | 'off' = 'on';

  /** Comma-separated nats:// URLs. */
  @Matches(/^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/, {
    message: 'NATS_URL must be one or more nats:// URLs separated by commas',
  })
  NATS_URL!: string;

  @IsOptional()
  @IsString()
  NATS_USER?: string;

  @IsOptional()
  @IsString()
  NATS_PASSWORD?: string;

  /** CA bundle (PEM file) to verify the NATS server's TLS certificate; enables TLS (use tls:// URLs). */
  @IsOptional()
  @IsString()
  NATS_TLS_CA_FILE?: string;

  @IsOptional()
  @Matches(/^[A-Z][A-Z0-9_]{0,31}$/)
  NATS_STREAM = 'TPO_EVENTS';

  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{0,31}$/)
  NATS_SUBJECT_PREFIX = 'tpo';

  /**
   * Handler attempts before an event is dead-lettered (transient failures). Kept below the
   * consumers' server-side max_deliver (100, deploy/nats/topology.json) so the service, not the
   * server, always makes the final decision and records it.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(50)
  EVENT_MAX_ATTEMPTS = 10;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(600_000)
  EVENT_RETRY_BASE_MS = 1000;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  EVENT_RETRY_MAX_MS = 60_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(256)
  EVENT_CONCURRENCY = 8;

  /** Durable jobs (external calls, task polling) run at once per service replica. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(512)
  JOB_CONCURRENCY = 32;

  /** Jobs running at once against one site (bounded load on each KSC / Integration Server). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(512)
  JOB_SITE_CONCURRENCY = 16;

  /**
   * Jobs a replica holds at once (claimed, lease kept), counting those only waiting for a vendor
   * task, which lend their concurrency slot out meanwhile. Unset: 16 x JOB_CONCURRENCY. Bounds the
   * memory a replica spends on waiting jobs.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(4096)
  JOB_MAX_HELD?: number;

  /** A job's lease; a crashed worker's job is taken over after it expires. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  JOB_LEASE_MS = 60_000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  JOB_MAX_TRIES = 30;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(600_000)
  JOB_RETRY_BASE_MS = 1000;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  JOB_RETRY_MAX_MS = 60_000;

  /**
   * A pooled main-server KSC session idle longer than this is ended, never lent again. ASSUMPTION
   * (ksc-openapi.md §2.5 / Q2): KSC's own idle timeout is not documented (the simulator assumes
   * 30 minutes); keep this well below the real server's. A session that went stale anyway is
   * logged in again on its first call.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  KSC_SESSION_IDLE_MAX_MS = 300_000;

  /** Idle main-server KSC sessions kept per site for reuse by the next job; 0 ends each after its job. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(512)
  KSC_SESSION_POOL_IDLE = 16;

  /**
   * Safety-net poll of the outbox relay (and how often a standby replica tries to take over); the
   * normal wake-up is Postgres LISTEN/NOTIFY on commit. Each poll is a query, also at idle.
   */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(600_000)
  OUTBOX_POLL_INTERVAL_MS = 10_000;

  /** HS256 secret for admin bearer tokens (at least 32 characters). Required unless a public key or API keys are set. */
  @ValidateIf((o: BaseServiceEnv) => !o.AUTH_JWT_PUBLIC_KEY && !o.AUTH_API_KEYS)
  @IsString()
  @MinLength(32, { message: 'AUTH_JWT_SECRET must be at least 32 characters' })
  AUTH_JWT_SECRET?: string;

  /** PEM public key (RS256/ES256) of the identity provider that issues admin tokens. */
  @IsOptional()
  @Matches(/-----BEGIN PUBLIC KEY-----/, { message: 'AUTH_JWT_PUBLIC_KEY must be a PEM public key' })
  AUTH_JWT_PUBLIC_KEY?: string;

  @IsOptional()
  @IsString()
  AUTH_JWT_ISSUER = 'tpo';

  @IsOptional()
  @IsString()
  AUTH_JWT_AUDIENCE = 'tpo-admin';

  /** API keys as `<name>:<viewer|operator|admin>:<sha256 hex of the key>`, comma-separated; keys are never stored. */
  @IsOptional()
  @Matches(
    /^[A-Za-z0-9_-]+:(viewer|operator|admin):[0-9a-f]{64}(,[A-Za-z0-9_-]+:(viewer|operator|admin):[0-9a-f]{64})*$/,
    {
      message: 'AUTH_API_KEYS entries are <name>:<viewer|operator|admin>:<sha256 hex>',
    },
  )
  AUTH_API_KEYS?: string;

  /**
   * Longest accepted bearer-token lifetime (exp - iat), seconds: a token minted for 100 years is
   * refused even when its signature is valid. Tokens must carry `iat`.
   */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  AUTH_MAX_TOKEN_LIFETIME_SECONDS = 12 * 3600;

  /** Retention horizons (days) of finished rows, swept hourly: see RetentionSweeper. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RETENTION_OUTBOX_DAYS = 7;

  /** Inbox rows must outlive broker redelivery and the duplicate window by far. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RETENTION_INBOX_DAYS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RETENTION_JOB_DAYS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RETENTION_STEP_DAYS = 180;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RETENTION_AUDIT_DAYS = 400;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RETENTION_DEAD_LETTER_DAYS = 30;

  /** Admin requests per minute per client address (429 beyond); the REST bench lifts it to measure the service itself. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  RATE_LIMIT_PER_MINUTE = 600;

  /**
   * OpenTelemetry: OTLP/HTTP base URL of a collector (e.g. http://otel-collector:4318). Traces are
   * exported only when it is set; unset (the default) tracing is off and costs nothing.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(:\d+)?(\/[^\s?#]*)?$/, {
    message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s):// base URL (without /v1/traces)',
  })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  /** Milliseconds between two exports of batched spans. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  OTEL_BSP_SCHEDULE_DELAY = 5000;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  /**
   * The diagnostic backbone ping (`/v1/backbone/pings` and its `backbone-ping.v1` consumer): `on` or
   * `off`. Unset: off when NODE_ENV is `production`, on otherwise (tests and local runs use it).
   */
  @IsOptional()
  @IsIn(['on', 'off'])
  BACKBONE_PING?: 'on' | 'off';
}

/** Whether the diagnostic backbone ping is wired in (opt-in in production, see BACKBONE_PING). */
export function backbonePingEnabled(env: Pick<BaseServiceEnv, 'BACKBONE_PING' | 'NODE_ENV'>): boolean {
  return env.BACKBONE_PING ? env.BACKBONE_PING === 'on' : env.NODE_ENV !== 'production';
}

export class EnvValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvValidationError';
  }
}

/** Validates `env` against `schema`; throws an error naming every bad or missing variable. */
export function validateEnv<T extends object>(schema: new () => T, env: NodeJS.ProcessEnv = process.env): T {
  // Only declared variables are read, so unrelated (possibly secret) variables never enter config.
  const declared = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(schema, '', true, false)
      .map((m) => m.propertyName),
  );
  const input: Record<string, unknown> = {};
  for (const key of declared) if (env[key] !== undefined && env[key] !== '') input[key] = env[key];
  const config = plainToInstance(schema, input, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    const problems = errors.map((e) => {
      const missing = input[e.property] === undefined;
      const detail = Object.values(e.constraints ?? {}).join('; ');
      return missing ? `${e.property} is missing (${detail})` : `${e.property} is invalid: ${detail}`;
    });
    throw new EnvValidationError(problems);
  }
  return config;
}
