/** DI tokens every service shares: its validated environment (BaseServiceEnv or an extension) and its pino logger. */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const LOGGER = Symbol('LOGGER');
