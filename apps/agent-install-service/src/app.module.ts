import { DynamicModule, Module } from '@nestjs/common';
import { BackbonePingModule } from '@tpo/diagnostics';
import { ServiceKitModule } from '@tpo/service-kit';
import {
  allowedAddressClasses,
  kscSessionPoolTuning,
  serviceKeyFromEnv,
  SiteDirectoryModule,
} from '@tpo/site-directory';
import { AgentInstallModule } from './agent-install/agent-install.module';
import { AgentInstallServiceEnv } from './config/agent-install-service.env';
import { SERVICE_MIGRATIONS } from './migrations';

export const SERVICE = 'agent-install-service';

@Module({})
export class AppModule {
  static register(config: AgentInstallServiceEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ service: SERVICE, config, migrations: SERVICE_MIGRATIONS }),
        SiteDirectoryModule.register({
          baseUrl: config.SITE_DIRECTORY_URL,
          service: SERVICE,
          key: serviceKeyFromEnv(config, SERVICE),
          plaintext: config.SITE_DIRECTORY_PLAINTEXT,
          allowAddresses: allowedAddressClasses(config.SITE_URL_ALLOW),
          kscSessionPool: kscSessionPoolTuning(config),
        }),
        BackbonePingModule.forService(SERVICE),
        AgentInstallModule,
      ],
    };
  }
}
