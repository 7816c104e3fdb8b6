import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { LOGGER } from '@tpo/platform';
import type { AddressClass } from '@tpo/kaspersky-http';
import type { Logger } from 'pino';
import { SiteConnection } from './site-connection';
import {
  KasperskyClients,
  KscSessionPoolTuning,
  RemoteSiteDirectory,
  RemoteSiteDirectoryOptions,
  SiteDirectory,
  StaticSiteDirectory,
} from './site-directory';

export const SITE_DIRECTORY = Symbol('SITE_DIRECTORY');

@Injectable()
/** After the job runner stopped (beforeApplicationShutdown): pooled KSC sessions end, connections close. */
class ClientsLifecycle implements OnApplicationShutdown {
  constructor(@Inject(KasperskyClients) private readonly clients: KasperskyClients) {}
  async onApplicationShutdown(): Promise<void> {
    await this.clients.close();
  }
}

/** Site connections from tenant-service's registry, and Kaspersky clients built from them. */
@Module({})
export class SiteDirectoryModule {
  static register(options: RemoteSiteDirectoryOptions & { kscSessionPool?: KscSessionPoolTuning }): DynamicModule {
    return SiteDirectoryModule.withDirectory(
      new RemoteSiteDirectory(options),
      options.timeoutMs,
      options.allowAddresses,
      options.kscSessionPool,
    );
  }

  /** Fixed site connections, for tests against the simulator (on loopback). */
  static forStatic(
    sites: SiteConnection[],
    allowAddresses: readonly AddressClass[] = ['loopback'],
    kscSessionPool?: KscSessionPoolTuning,
  ): DynamicModule {
    return SiteDirectoryModule.withDirectory(new StaticSiteDirectory(sites), undefined, allowAddresses, kscSessionPool);
  }

  private static withDirectory(
    directory: SiteDirectory,
    timeoutMs?: number,
    allowAddresses?: readonly AddressClass[],
    sessionPool?: KscSessionPoolTuning,
  ): DynamicModule {
    return {
      module: SiteDirectoryModule,
      global: true,
      providers: [
        { provide: SITE_DIRECTORY, useValue: directory },
        {
          provide: KasperskyClients,
          inject: [LOGGER],
          useFactory: (logger: Logger) =>
            new KasperskyClients(directory, logger.child({ component: 'kaspersky' }), {
              timeoutMs,
              allowAddresses,
              sessionPool,
            }),
        },
        ClientsLifecycle,
      ],
      exports: [SITE_DIRECTORY, KasperskyClients],
    };
  }
}
