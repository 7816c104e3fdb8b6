import { DynamicModule, Module } from '@nestjs/common';
import { backbonePingEnabled } from '@tpo/platform';
import { BackbonePingModule } from '@tpo/diagnostics';
import { ServiceKitModule } from '@tpo/service-kit';
import {
  allowedAddressClasses,
  kscSessionPoolTuning,
  serviceKeyFromEnv,
  SiteDirectoryModule,
} from '@tpo/site-directory';
import { ActivationModule } from './activation/activation.module';
import { ActivationServiceEnv } from './config/activation-service.env';
import { SERVICE_MIGRATIONS } from './migrations';
import { LicensingModule } from './licensing/licensing.module';
import { ReportsModule } from './reports/reports.module';

export const SERVICE = 'activation-service';

@Module({})
export class AppModule {
  static register(config: ActivationServiceEnv): DynamicModule {
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
        BackbonePingModule.forService(SERVICE, { enabled: backbonePingEnabled(config) }),
        ActivationModule,
        ReportsModule,
        LicensingModule,
      ],
    };
  }
}
