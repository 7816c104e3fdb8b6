/** `npm run chaos`: the full-size chaos suite (real processes and faults; minutes). */
module.exports = {
  ...require('./jest.preset'),
  displayName: 'chaos',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.chaos-spec.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  testTimeout: 900_000,
};
