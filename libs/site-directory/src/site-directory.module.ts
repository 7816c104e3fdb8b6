import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { LOGGER } from '@tpo/service-kit';
import type { Logger } from 'pino';
import { SiteConnection } from './site-connection';
import { KasperskyClients, RemoteSiteDirectory, SiteDirectory, StaticSiteDirectory } from './site-directory';

export const SITE_DIRECTORY = Symbol('SITE_DIRECTORY');

@Injectable()
class ClientsLifecycle implements OnApplicationShutdown {
  constructor(@Inject(KasperskyClients) private readonly clients: KasperskyClients) {}
  async onApplicationShutdown(): Promise<void> {
    await this.clients.close();
  }
}

/** Site connections from tenant-service's registry, and Kaspersky clients built from them. */
@Module({})
export class SiteDirectoryModule {
  static register(options: { baseUrl: string; token: string; timeoutMs?: number }): DynamicModule {
    return SiteDirectoryModule.withDirectory(new RemoteSiteDirectory({ baseUrl: options.baseUrl, token: options.token }), options.timeoutMs);
  }

  /** Fixed site connections, for tests against the simulator. */
  static forStatic(sites: SiteConnection[]): DynamicModule {
    return SiteDirectoryModule.withDirectory(new StaticSiteDirectory(sites));
  }

  private static withDirectory(directory: SiteDirectory, timeoutMs?: number): DynamicModule {
    return {
      module: SiteDirectoryModule,
      global: true,
      providers: [
        { provide: SITE_DIRECTORY, useValue: directory },
        {
          provide: KasperskyClients,
          inject: [LOGGER],
          useFactory: (logger: Logger) => new KasperskyClients(directory, logger.child({ component: 'kaspersky' }), { timeoutMs }),
        },
        ClientsLifecycle,
      ],
      exports: [SITE_DIRECTORY, KasperskyClients],
    };
  }
}
