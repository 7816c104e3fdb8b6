export * from './bootstrap/local-layout';
export * from './bootstrap/bootstrap';
