import 'reflect-metadata';
import { bootstrapService } from '@tpo/service-kit';
import { AppModule, SERVICE } from './app.module';
import { TenantServiceEnv } from './config/tenant-service.env';
import { TENANT_HTTP_STATUS } from './tenants/tenant-errors';

void bootstrapService({
  service: SERVICE,
  envSchema: TenantServiceEnv,
  module: (config) => AppModule.register(config),
  httpStatusByCode: TENANT_HTTP_STATUS,
});
