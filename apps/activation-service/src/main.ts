import 'reflect-metadata';
import { bootstrapService } from '@tpo/service-kit';
import { AppModule, SERVICE } from './app.module';
import { ActivationServiceEnv } from './config/activation-service.env';

void bootstrapService({
  service: SERVICE,
  envSchema: ActivationServiceEnv,
  module: (config) => AppModule.register(config),
});
