export * from './site-connection';
export * from './site-directory';
export * from './site-directory.module';
export * from './step-service.env';
export * from './service-token';
export * from './site-deployment';
