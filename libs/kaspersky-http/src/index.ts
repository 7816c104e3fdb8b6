export * from './errors';
export * from './tls';
export * from './resilient-http';
export * from './poll-schedule';
export * from './address-policy';
