import {
  DynamicModule,
  Inject,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { EnvelopeCipher } from '@tpo/secrets';
import { LOGGER } from '@tpo/platform';
import { allowedAddressClasses, KasperskyClients, kscSessionPoolTuning } from '@tpo/site-directory';
import type { Logger } from 'pino';
import { TenantServiceEnv } from '../config/tenant-service.env';
import { InternalTokenGuard } from './internal-token.guard';
import { SitePreflightRepository } from './site-preflight.repository';
import { SitePreflightService } from './site-preflight.service';
import { SiteRegistry } from './site-registry.service';
import { SiteRepository } from './site.repository';
import { InternalSitesHttpController, SitesHttpController } from './sites.http.controller';

const SITES_CONFIG = Symbol('SITES_CONFIG');

/**
 * The site directory: sites (one KSC + its Integration Server), their encrypted credentials, the
 * internal connection endpoint for the step services and the Kaspersky clients per site. The
 * tenants module uses it for placement and for step 1's calls; it knows nothing of tenants.
 */
@Module({})
export class SitesModule implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private preflightTimer?: NodeJS.Timeout;
  private preflightRound?: Promise<unknown>;

  constructor(
    @Inject(SITES_CONFIG) private readonly config: TenantServiceEnv,
    private readonly registry: SiteRegistry,
    private readonly clients: KasperskyClients,
    private readonly preflight: SitePreflightService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  static register(config: TenantServiceEnv): DynamicModule {
    return {
      module: SitesModule,
      controllers: [SitesHttpController, InternalSitesHttpController],
      providers: [
        { provide: SITES_CONFIG, useValue: config },
        { provide: EnvelopeCipher, useValue: EnvelopeCipher.fromConfig(config.SECRETS_MASTER_KEYS) },
        SiteRepository,
        SiteRegistry,
        {
          provide: KasperskyClients,
          inject: [SiteRegistry, LOGGER],
          useFactory: (r: SiteRegistry, l: Logger) =>
            new KasperskyClients(r, l.child({ component: 'kaspersky' }), {
              allowAddresses: allowedAddressClasses(config.SITE_URL_ALLOW),
              sessionPool: kscSessionPoolTuning(config),
            }),
        },
        InternalTokenGuard,
        SitePreflightRepository,
        SitePreflightService,
      ],
      exports: [EnvelopeCipher, SiteRepository, SiteRegistry, KasperskyClients, SitePreflightRepository],
    };
  }

  async onModuleInit(): Promise<void> {
    if (this.config.SITES_FILE) await this.registry.seedFromFile(this.config.SITES_FILE);
  }

  /** Preflight schedule: every replica ticks; an exclusive round hands each due site to one of them. */
  onApplicationBootstrap(): void {
    const tick = () => {
      if (this.preflightRound) return; // the previous round is still checking its sites
      this.preflightRound = this.preflight
        .runDue()
        .catch((e: unknown) => this.logger.warn({ err: e }, 'site preflight round failed'))
        .finally(() => (this.preflightRound = undefined));
    };
    this.preflightTimer = setInterval(tick, Math.min(this.config.SITE_PREFLIGHT_INTERVAL_MS, 30_000));
    this.preflightTimer.unref();
    setTimeout(tick, 1000).unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.preflightTimer);
    this.preflight.stop();
    // A site being checked may wait on a vendor server's timeout: give it a moment, not the whole shutdown budget.
    await Promise.race([this.preflightRound, new Promise((r) => setTimeout(r, 2000).unref())]);
  }

  /** After the job runner stopped (beforeApplicationShutdown): pooled KSC sessions end, connections close. */
  async onApplicationShutdown(): Promise<void> {
    await this.clients.close();
  }
}
