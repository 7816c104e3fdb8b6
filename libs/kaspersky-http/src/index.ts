export * from './errors';
export * from './tls';
export * from './resilient-http';
