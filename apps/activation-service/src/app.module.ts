import { DynamicModule, Module } from '@nestjs/common';
import { BackbonePingModule, ServiceKitModule } from '@tpo/service-kit';
import { SiteDirectoryModule } from '@tpo/site-directory';
import { ActivationModule } from './activation/activation.module';
import { ActivationServiceEnv } from './config/activation-service.env';
import { SERVICE_MIGRATIONS } from './migrations';

export const SERVICE = 'activation-service';

@Module({})
export class AppModule {
  static register(config: ActivationServiceEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ service: SERVICE, config, migrations: SERVICE_MIGRATIONS }),
        SiteDirectoryModule.register({ baseUrl: config.SITE_DIRECTORY_URL, token: config.INTERNAL_API_TOKEN }),
        BackbonePingModule.forService(SERVICE),
        ActivationModule,
      ],
    };
  }
}
