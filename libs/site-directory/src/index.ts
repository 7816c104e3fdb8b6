export * from './site-connection';
export * from './site-directory';
export * from './site-directory.module';
