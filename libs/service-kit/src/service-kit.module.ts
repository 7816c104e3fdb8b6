import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Provider,
} from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EVENT_CATALOG, EventDefinition, EventEnvelope } from '@tpo/contracts';
import {
  DeadLetterRepository,
  DeadLettersHttpController,
  EventProcessor,
  EventPublisher,
  InboxRepository,
  JetStreamServer,
  MessagingTables1764201600000,
  OutboxTraceContext1764950000000,
  OutboxNotifyOrigin1766100000000,
  OutboxRelay,
  OutboxRepository,
  OutboxWriter,
  ReplayDeadLetterUseCase,
  RetryPolicy,
  connectNats,
} from '@tpo/messaging';
import { serviceDataSourceOptions, UnitOfWork } from '@tpo/persistence';
import {
  AdminAuthGuard,
  BaseServiceEnv,
  createLogger,
  CredentialVerifier,
  HealthHttpController,
  MetricsHttpController,
  PlatformMetrics,
  READINESS_CHECKS,
  ReadinessCheck,
} from '@tpo/platform';
import { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { DataSource, EntitySchema, MixedList } from 'typeorm';
import {
  JobFencing1764900000000,
  JobNotifyOnPending1764711000000,
  JobEnqueuer,
  JobRepository,
  JobRunner,
  JobTable1764300000000,
  JobTraceContext1764950000001,
} from '@tpo/jobs';
import { RoutePolicies, RoutesHttpController } from './routes/route-policies';
import { AuditHttpController, AuditRepository } from './audit/audit';
import { AuditRefusals } from './audit/audit-refusals';
import { SlidingWindowThrottlerStorage } from './throttling/sliding-window.throttler-storage';
import { RetentionSweeper } from './retention/retention-sweeper';
import { AuditLog1764600000000 } from './audit/1764600000000-audit-log';
import { LOGGER, NATS_CONNECTION, SERVICE_CONFIG } from './tokens';

export interface ServiceKitOptions {
  service: string;
  config: BaseServiceEnv;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: Function[];
  /** Test-only event definitions beyond the contracts catalog. */
  extraEvents?: EventDefinition[];
  /** Largest accepted message; matches the stream's max_msg_size by default. */
  maxMessageBytes?: number;
  /** Fault-injection seams used by the reliability tests (crash after commit / after PubAck). */
  testHooks?: {
    afterCommit?: (envelope: EventEnvelope) => Promise<void>;
    afterPublish?: (ids: string[]) => Promise<void>;
  };
}

/** Tables every service has, before its own migrations. */
export const SHARED_MIGRATIONS = [
  MessagingTables1764201600000,
  JobTable1764300000000,
  AuditLog1764600000000,
  JobNotifyOnPending1764711000000,
  JobFencing1764900000000,
  OutboxTraceContext1764950000000,
  JobTraceContext1764950000001,
  OutboxNotifyOrigin1766100000000,
];

/** Starts and stops the backbone pieces in the right order around Nest's lifecycle. */
@Injectable()
class BackboneLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private housekeeping?: NodeJS.Timeout;

  constructor(
    private readonly relay: OutboxRelay,
    private readonly server: JetStreamServer,
    private readonly outbox: OutboxRepository,
    private readonly deadLetters: DeadLetterRepository,
    private readonly metrics: PlatformMetrics,
    private readonly jobRunner: JobRunner,
    private readonly retention: RetentionSweeper,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.relay.start();
    await this.jobRunner.start();
    this.metrics.onScrape(async () => {
      const backlog = await this.outbox.backlog();
      this.metrics.outboxBacklog.set(backlog.count);
      this.metrics.outboxOldestAge.set(backlog.oldestAgeSeconds);
      this.metrics.deadLetters.set(await this.deadLetters.countPending());
    });
    // Hourly: finished rows past their retention horizon (RETENTION_*_DAYS) go.
    this.housekeeping = setInterval(() => {
      void this.retention
        .sweep()
        .catch((e: unknown) => this.logger.warn({ err: e }, 'retention sweep failed; next hour again'));
    }, 3_600_000);
    this.housekeeping.unref();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.info({ signal }, 'shutting down: stop pulling, finish in-flight events, flush outbox');
    clearInterval(this.housekeeping);
    await this.server.close();
    await this.jobRunner.stop();
    await this.relay.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => undefined);
    this.logger.info('stopped');
  }
}

@Module({})
export class ServiceKitModule {
  static forRoot(options: ServiceKitOptions): DynamicModule {
    const { config, service } = options;
    const migrations = [...SHARED_MIGRATIONS, ...(options.migrations ?? [])];
    const definitions = [...EVENT_CATALOG, ...(options.extraEvents ?? [])];
    const providers: Provider[] = [
      { provide: SERVICE_CONFIG, useValue: config },
      {
        provide: CredentialVerifier,
        useValue: new CredentialVerifier({
          jwtSecret: config.AUTH_JWT_SECRET,
          jwtPublicKeyPem: config.AUTH_JWT_PUBLIC_KEY,
          issuer: config.AUTH_JWT_ISSUER,
          audience: config.AUTH_JWT_AUDIENCE,
          apiKeys: config.AUTH_API_KEYS,
          maxTokenLifetimeSeconds: config.AUTH_MAX_TOKEN_LIFETIME_SECONDS,
        }),
      },
      // Order matters: rate-limit first (per client address), so failed credentials are throttled
      // too (credential stuffing, API-key guessing); then authenticate and authorise.
      { provide: APP_GUARD, useClass: ThrottlerGuard },
      { provide: APP_GUARD, useClass: AdminAuthGuard },
      { provide: LOGGER, useValue: createLogger(service, config.LOG_LEVEL) },
      { provide: PlatformMetrics, useValue: new PlatformMetrics(service) },
      { provide: UnitOfWork, inject: [DataSource], useFactory: (ds: DataSource) => new UnitOfWork(ds) },
      { provide: OutboxRepository, inject: [UnitOfWork], useFactory: (u: UnitOfWork) => new OutboxRepository(u) },
      { provide: InboxRepository, inject: [UnitOfWork], useFactory: (u: UnitOfWork) => new InboxRepository(u) },
      {
        provide: DeadLetterRepository,
        inject: [UnitOfWork],
        useFactory: (u: UnitOfWork) => new DeadLetterRepository(u),
      },
      { provide: JobRepository, inject: [UnitOfWork], useFactory: (u: UnitOfWork) => new JobRepository(u) },
      {
        provide: RetentionSweeper,
        inject: [UnitOfWork, LOGGER],
        useFactory: (u: UnitOfWork, l: Logger) =>
          new RetentionSweeper(
            u,
            {
              outboxDays: config.RETENTION_OUTBOX_DAYS,
              inboxDays: config.RETENTION_INBOX_DAYS,
              jobDays: config.RETENTION_JOB_DAYS,
              stepDays: config.RETENTION_STEP_DAYS,
              auditDays: config.RETENTION_AUDIT_DAYS,
              deadLetterDays: config.RETENTION_DEAD_LETTER_DAYS,
            },
            l.child({ component: 'retention' }),
          ),
      },
      {
        provide: JobRunner,
        inject: [JobRepository, UnitOfWork, LOGGER],
        useFactory: (j: JobRepository, u: UnitOfWork, l: Logger) =>
          new JobRunner(j, u, l.child({ component: 'jobs' }), {
            databaseUrl: config.DATABASE_URL,
            schema: config.DATABASE_SCHEMA,
            concurrency: config.JOB_CONCURRENCY,
            perSiteConcurrency: config.JOB_SITE_CONCURRENCY,
            maxHeld: config.JOB_MAX_HELD,
            leaseMs: config.JOB_LEASE_MS,
            maxTries: config.JOB_MAX_TRIES,
            retryBaseMs: config.JOB_RETRY_BASE_MS,
            retryMaxMs: config.JOB_RETRY_MAX_MS,
          }),
      },
      {
        provide: JobEnqueuer,
        inject: [JobRepository, JobRunner, UnitOfWork],
        useFactory: (j: JobRepository, r: JobRunner, u: UnitOfWork) => new JobEnqueuer(j, r, u),
      },
      {
        provide: OutboxWriter,
        inject: [UnitOfWork, OutboxRepository],
        useFactory: (u: UnitOfWork, o: OutboxRepository) => new OutboxWriter(service, u, o),
      },
      {
        provide: NATS_CONNECTION,
        inject: [LOGGER],
        useFactory: (logger: Logger) =>
          connectNats(
            {
              servers: config.NATS_URL,
              name: service,
              user: config.NATS_USER,
              pass: config.NATS_PASSWORD,
              tlsCaFile: config.NATS_TLS_CA_FILE,
            },
            logger,
          ),
      },
      {
        provide: EventPublisher,
        inject: [NATS_CONNECTION],
        useFactory: (nc: NatsConnection) => new EventPublisher(nc),
      },
      {
        provide: OutboxRelay,
        inject: [OutboxRepository, EventPublisher, PlatformMetrics, LOGGER],
        useFactory: (o: OutboxRepository, p: EventPublisher, m: PlatformMetrics, l: Logger) =>
          new OutboxRelay(o, p, m, l.child({ component: 'outbox-relay' }), {
            databaseUrl: config.DATABASE_URL,
            schema: config.DATABASE_SCHEMA,
            subjectPrefix: config.NATS_SUBJECT_PREFIX,
            pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
            afterPublish: options.testHooks?.afterPublish,
          }),
      },
      {
        provide: EventProcessor,
        inject: [UnitOfWork, InboxRepository, DeadLetterRepository, PlatformMetrics, LOGGER],
        useFactory: (u: UnitOfWork, i: InboxRepository, d: DeadLetterRepository, m: PlatformMetrics, l: Logger) =>
          new EventProcessor({
            service,
            uow: u,
            inbox: i,
            deadLetters: d,
            metrics: m,
            logger: l.child({ component: 'events' }),
            retry: new RetryPolicy(config.EVENT_MAX_ATTEMPTS, config.EVENT_RETRY_BASE_MS, config.EVENT_RETRY_MAX_MS),
            maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024,
            afterCommit: options.testHooks?.afterCommit,
          }),
      },
      {
        provide: JetStreamServer,
        inject: [NATS_CONNECTION, EventProcessor, LOGGER],
        useFactory: (nc: NatsConnection, p: EventProcessor, l: Logger) =>
          new JetStreamServer(nc, p, l.child({ component: 'jetstream' }), {
            service,
            stream: config.NATS_STREAM,
            subjectPrefix: config.NATS_SUBJECT_PREFIX,
            concurrency: config.EVENT_CONCURRENCY,
            ackWaitMs: 30_000,
            definitions,
          }),
      },
      {
        provide: ReplayDeadLetterUseCase,
        inject: [UnitOfWork, DeadLetterRepository, JetStreamServer, EventProcessor],
        useFactory: (u: UnitOfWork, d: DeadLetterRepository, s: JetStreamServer, p: EventProcessor) =>
          new ReplayDeadLetterUseCase(u, d, s, p),
      },
      {
        provide: READINESS_CHECKS,
        inject: [DataSource, NATS_CONNECTION, JetStreamServer],
        useFactory: (ds: DataSource, nc: NatsConnection, server: JetStreamServer): ReadinessCheck[] => [
          { name: 'postgres', check: async () => void (await ds.query('SELECT 1')) },
          {
            name: 'migrations',
            check: async () => {
              const applied = new Set(
                (await ds.query(`SELECT name FROM migrations`)).map((r: { name: string }) => r.name),
              );
              const pending = ds.migrations.map((m) => m.name ?? m.constructor.name).filter((n) => !applied.has(n));
              return pending.length > 0 ? `pending migrations: ${pending.join(', ')}` : undefined;
            },
          },
          {
            name: 'nats',
            check: async () => {
              if (nc.isClosed()) return 'connection closed';
              await nc.flush();
              const jsm = await nc.jetstreamManager();
              const missing: string[] = [];
              for (const name of server.consumerNames()) {
                if (!(await jsm.consumers.info(config.NATS_STREAM, name).catch(() => undefined))) missing.push(name);
              }
              return missing.length > 0
                ? `missing JetStream consumers (run the bootstrap): ${missing.join(', ')}`
                : undefined;
            },
          },
        ],
      },
      BackboneLifecycle,
      RoutePolicies,
      AuditRepository,
      AuditRefusals,
    ];
    return {
      module: ServiceKitModule,
      global: true,
      imports: [
        DiscoveryModule,
        ThrottlerModule.forRoot({
          throttlers: [{ name: 'default', ttl: 60_000, limit: config.RATE_LIMIT_PER_MINUTE }],
          storage: new SlidingWindowThrottlerStorage(),
        }),
        TypeOrmModule.forRoot(
          serviceDataSourceOptions({
            url: config.DATABASE_URL,
            schema: config.DATABASE_SCHEMA,
            applicationName: service,
            entities: options.entities ?? [],
            migrations,
            poolSize: config.DATABASE_POOL_SIZE,
            preparedStatements: config.DATABASE_PREPARED_STATEMENTS !== 'off',
          }),
        ),
      ],
      controllers: [
        HealthHttpController,
        MetricsHttpController,
        DeadLettersHttpController,
        RoutesHttpController,
        AuditHttpController,
      ],
      providers,
      exports: [
        SERVICE_CONFIG,
        LOGGER,
        PlatformMetrics,
        UnitOfWork,
        AuditRepository,
        OutboxWriter,
        InboxRepository,
        JobRepository,
        JobRunner,
        JobEnqueuer,
        NATS_CONNECTION,
        JetStreamServer,
        EventProcessor,
        OutboxRelay,
        TypeOrmModule,
      ],
    };
  }
}
