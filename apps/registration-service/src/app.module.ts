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
import { RegistrationServiceEnv } from './config/registration-service.env';
import { SERVICE_MIGRATIONS } from './migrations';
import { RegistrationModule } from './registration/registration.module';

export const SERVICE = 'registration-service';

@Module({})
export class AppModule {
  static register(config: RegistrationServiceEnv): DynamicModule {
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
        RegistrationModule,
      ],
    };
  }
}
