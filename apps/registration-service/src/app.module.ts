import { DynamicModule, Module } from '@nestjs/common';
import { BackbonePingModule, ServiceKitModule } from '@tpo/service-kit';
import { RegistrationServiceEnv } from './config/registration-service.env';
import { SERVICE_MIGRATIONS } from './migrations';

export const SERVICE = 'registration-service';

@Module({})
export class AppModule {
  static register(config: RegistrationServiceEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceKitModule.forRoot({ service: SERVICE, config, migrations: SERVICE_MIGRATIONS }), BackbonePingModule.forService(SERVICE)],
    };
  }
}
