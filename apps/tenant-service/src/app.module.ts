import { DynamicModule, Module } from '@nestjs/common';
import { backbonePingEnabled } from '@tpo/platform';
import { BackbonePingModule } from '@tpo/diagnostics';
import { ServiceKitModule } from '@tpo/service-kit';
import { TenantServiceEnv } from './config/tenant-service.env';
import { SERVICE_MIGRATIONS } from './migrations';
import { TenantsModule } from './tenants/tenants.module';

export const SERVICE = 'tenant-service';

@Module({})
export class AppModule {
  static register(config: TenantServiceEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({ service: SERVICE, config, migrations: SERVICE_MIGRATIONS }),
        BackbonePingModule.forService(SERVICE, { enabled: backbonePingEnabled(config) }),
        TenantsModule.register(config),
      ],
    };
  }
}
