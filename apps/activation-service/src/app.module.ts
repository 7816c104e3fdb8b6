import { DynamicModule, Module } from '@nestjs/common';
import { BackbonePingModule, ServiceKitModule } from '@tpo/service-kit';
import { ActivationServiceEnv } from './config/activation-service.env';
import { SERVICE_MIGRATIONS } from './migrations';

export const SERVICE = 'activation-service';

@Module({})
export class AppModule {
  static register(config: ActivationServiceEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceKitModule.forRoot({ service: SERVICE, config, migrations: SERVICE_MIGRATIONS }), BackbonePingModule.forService(SERVICE)],
    };
  }
}
