export * from './config/assumptions';
export * from './faults/faults';
export * from './site/call-counters';
export * from './site/site';
export * from './ksc/ksc-model';
export * from './integration-server/is-model';
export * from './server/simulator';
export * from './server/tls-material';
