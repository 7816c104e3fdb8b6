export * from './vendor-failure';
