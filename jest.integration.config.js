/** Integration and end-to-end specs against the real PostgreSQL and NATS (started by deploy/scripts/test.sh). */
module.exports = {
  ...require('./jest.preset'),
  displayName: 'integration',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.int-spec.ts', '**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  testTimeout: 60_000,
};
