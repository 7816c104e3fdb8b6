import { BaseServiceEnv, EnvValidationError, validateEnv } from './env';

const valid = {
  HTTP_PORT: '3101',
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/tpo',
  DATABASE_SCHEMA: 'tenant',
  NATS_URL: 'nats://127.0.0.1:4222',
  AUTH_JWT_SECRET: 'x'.repeat(32),
};

describe('validateEnv', () => {
  it('returns typed config with defaults', () => {
    const config = validateEnv(BaseServiceEnv, valid);
    expect(config.HTTP_PORT).toBe(3101);
    expect(config.NATS_STREAM).toBe('TPO_EVENTS');
    expect(config.EVENT_MAX_ATTEMPTS).toBe(10);
  });

  it('names every missing variable', () => {
    try {
      validateEnv(BaseServiceEnv, { HTTP_PORT: '1' });
      throw new Error('expected a failure');
    } catch (e) {
      expect(e).toBeInstanceOf(EnvValidationError);
      expect((e as Error).message).toMatch(/DATABASE_URL is missing/);
      expect((e as Error).message).toMatch(/NATS_URL is missing/);
    }
  });

  it('names invalid variables', () => {
    expect(() => validateEnv(BaseServiceEnv, { ...valid, HTTP_PORT: '99999' })).toThrow(/HTTP_PORT is invalid/);
    expect(() => validateEnv(BaseServiceEnv, { ...valid, DATABASE_SCHEMA: 'Drop Table' })).toThrow(
      /DATABASE_SCHEMA is invalid/,
    );
    expect(() => validateEnv(BaseServiceEnv, { ...valid, EVENT_MAX_ATTEMPTS: '500' })).toThrow(
      /EVENT_MAX_ATTEMPTS is invalid/,
    );
  });

  it('pools KSC sessions with a bounded idle time and idle count', () => {
    const config = validateEnv(BaseServiceEnv, valid);
    expect(config.KSC_SESSION_IDLE_MAX_MS).toBe(300_000);
    expect(config.KSC_SESSION_POOL_IDLE).toBe(16);
    expect(validateEnv(BaseServiceEnv, { ...valid, KSC_SESSION_POOL_IDLE: '0' }).KSC_SESSION_POOL_IDLE).toBe(0);
    expect(() => validateEnv(BaseServiceEnv, { ...valid, KSC_SESSION_IDLE_MAX_MS: '500' })).toThrow(
      /KSC_SESSION_IDLE_MAX_MS is invalid/,
    );
    expect(() => validateEnv(BaseServiceEnv, { ...valid, KSC_SESSION_POOL_IDLE: 'many' })).toThrow(
      /KSC_SESSION_POOL_IDLE is invalid/,
    );
  });

  it('requires an admin credential source and names it', () => {
    const { AUTH_JWT_SECRET: _s, ...withoutAuth } = valid;
    expect(() => validateEnv(BaseServiceEnv, withoutAuth)).toThrow(/AUTH_JWT_SECRET is missing/);
    expect(() => validateEnv(BaseServiceEnv, { ...withoutAuth, AUTH_JWT_SECRET: 'short' })).toThrow(
      /at least 32 characters/,
    );
    expect(() =>
      validateEnv(BaseServiceEnv, { ...withoutAuth, AUTH_API_KEYS: `ops:admin:${'a'.repeat(64)}` }),
    ).not.toThrow();
  });

  it('reads only declared variables', () => {
    const config = validateEnv(BaseServiceEnv, { ...valid, AWS_SECRET_ACCESS_KEY: 'x' });
    expect(config).not.toHaveProperty('AWS_SECRET_ACCESS_KEY');
  });
});
