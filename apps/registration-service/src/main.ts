import 'reflect-metadata';
import { bootstrapService } from '@tpo/service-kit';
import { AppModule, SERVICE } from './app.module';
import { RegistrationServiceEnv } from './config/registration-service.env';

void bootstrapService({
  service: SERVICE,
  envSchema: RegistrationServiceEnv,
  module: (config) => AppModule.register(config),
});
