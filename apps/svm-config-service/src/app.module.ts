import { DynamicModule, Module } from '@nestjs/common';
import { BackbonePingModule, ServiceKitModule } from '@tpo/service-kit';
import { SvmConfigServiceEnv } from './config/svm-config-service.env';
import { SERVICE_MIGRATIONS } from './migrations';

export const SERVICE = 'svm-config-service';

@Module({})
export class AppModule {
  static register(config: SvmConfigServiceEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceKitModule.forRoot({ service: SERVICE, config, migrations: SERVICE_MIGRATIONS }), BackbonePingModule.forService(SERVICE)],
    };
  }
}
