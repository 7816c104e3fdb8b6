import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { KasperskyClients, RemoteSiteDirectory, SiteDirectory } from './site-directory';

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
  static register(options: { baseUrl: string; token: string; logger: Logger; timeoutMs?: number }): DynamicModule {
    const directory: SiteDirectory = new RemoteSiteDirectory({ baseUrl: options.baseUrl, token: options.token });
    return {
      module: SiteDirectoryModule,
      global: true,
      providers: [
        { provide: SITE_DIRECTORY, useValue: directory },
        { provide: KasperskyClients, useValue: new KasperskyClients(directory, options.logger, { timeoutMs: options.timeoutMs }) },
        ClientsLifecycle,
      ],
      exports: [SITE_DIRECTORY, KasperskyClients],
    };
  }
}
