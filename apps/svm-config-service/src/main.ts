import 'reflect-metadata';
import { bootstrapService } from '@tpo/service-kit';
import { AppModule, SERVICE } from './app.module';
import { SvmConfigServiceEnv } from './config/svm-config-service.env';

void bootstrapService({
  service: SERVICE,
  envSchema: SvmConfigServiceEnv,
  module: (config) => AppModule.register(config),
});
