export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
// LOGGER and SERVICE_CONFIG live in @tpo/platform; re-exported so older imports keep working.
export { LOGGER, SERVICE_CONFIG } from '@tpo/platform';
