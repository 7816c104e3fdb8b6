export * from './bootstrap/local-layout';
export * from './bootstrap/bootstrap';
export * from './platform/processes';
export * from './platform/local-platform';
export * from './nats/secure-config';
export * from './platform/demo-onboarding';
export * from './asyncapi/asyncapi.document';
