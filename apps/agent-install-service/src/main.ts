import 'reflect-metadata';
import { bootstrapService } from '@tpo/service-kit';
import { AppModule, SERVICE } from './app.module';
import { AgentInstallServiceEnv } from './config/agent-install-service.env';

void bootstrapService({
  service: SERVICE,
  envSchema: AgentInstallServiceEnv,
  module: (config) => AppModule.register(config),
});
