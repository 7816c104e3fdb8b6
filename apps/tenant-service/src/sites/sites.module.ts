import { DynamicModule, Inject, Module, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { EnvelopeCipher } from '@tpo/secrets';
import { LOGGER } from '@tpo/service-kit';
import { allowedAddressClasses, KasperskyClients } from '@tpo/site-directory';
import type { Logger } from 'pino';
import { TenantServiceEnv } from '../config/tenant-service.env';
import { InternalTokenGuard } from './internal-token.guard';
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
export class SitesModule implements OnModuleInit, OnModuleDestroy {
  constructor(
    @Inject(SITES_CONFIG) private readonly config: TenantServiceEnv,
    private readonly registry: SiteRegistry,
    private readonly clients: KasperskyClients,
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
          useFactory: (r: SiteRegistry, l: Logger) => new KasperskyClients(r, l.child({ component: 'kaspersky' }), { allowAddresses: allowedAddressClasses(config.SITE_URL_ALLOW) }),
        },
        InternalTokenGuard,
      ],
      exports: [EnvelopeCipher, SiteRepository, SiteRegistry, KasperskyClients],
    };
  }

  async onModuleInit(): Promise<void> {
    if (this.config.SITES_FILE) await this.registry.seedFromFile(this.config.SITES_FILE);
  }

  async onModuleDestroy(): Promise<void> {
    await this.clients.close();
  }
}
