export * from './errors';
export * from './model';
export * from './xml-codec';
export * from './task-poller';
export * from './integration-server.client';
