export * from './site-preflight.events';
