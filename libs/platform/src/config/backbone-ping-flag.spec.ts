import { backbonePingEnabled, BaseServiceEnv, validateEnv } from './env';

describe('BACKBONE_PING: the diagnostic ping is opt-in in production', () => {
  const base = {
    HTTP_PORT: '3000',
    DATABASE_URL: 'postgres://u:p@h/db',
    DATABASE_SCHEMA: 's',
    NATS_URL: 'nats://h:4222',
    AUTH_JWT_SECRET: 'x'.repeat(32),
  };

  it('is off by default in production and on elsewhere', () => {
    expect(backbonePingEnabled(validateEnv(BaseServiceEnv, { ...base, NODE_ENV: 'production' }))).toBe(false);
    expect(backbonePingEnabled(validateEnv(BaseServiceEnv, { ...base, NODE_ENV: 'test' }))).toBe(true);
    expect(backbonePingEnabled(validateEnv(BaseServiceEnv, base))).toBe(true);
  });

  it('follows an explicit on/off', () => {
    expect(
      backbonePingEnabled(validateEnv(BaseServiceEnv, { ...base, NODE_ENV: 'production', BACKBONE_PING: 'on' })),
    ).toBe(true);
    expect(backbonePingEnabled(validateEnv(BaseServiceEnv, { ...base, NODE_ENV: 'test', BACKBONE_PING: 'off' }))).toBe(
      false,
    );
  });

  it('refuses anything else at boot', () => {
    expect(() => validateEnv(BaseServiceEnv, { ...base, BACKBONE_PING: 'yes' })).toThrow(/BACKBONE_PING is invalid/);
  });
});
