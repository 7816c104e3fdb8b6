export * from './tokens';
export * from './service-kit.module';
export * from './bootstrap-service';
export * from './run-migrations';
export * from './pino-nest-logger';
export * from './backbone-ping/backbone-ping.module';
export * from './jobs';
export * from './steps';
