import 'reflect-metadata';
import { bootstrapService } from '@tpo/service-kit';
import { AppModule, SERVICE } from './app.module';
import { TenantServiceEnv } from './config/tenant-service.env';

void bootstrapService({ service: SERVICE, envSchema: TenantServiceEnv, module: (config) => AppModule.register(config) });
