// Runs outside Jest's module mapping, so it uses the compiled tools (deploy/scripts/test.sh builds first).
require('../../tools/register-paths');

/** Creates the test database with its roles and schemas and runs every service's migrations. */
module.exports = async function globalSetup() {
  require('reflect-metadata');
  const { bootstrapDatabase, migrateAll } = require('../../dist/tools/bootstrap/bootstrap');
  const { loadLocalLayout } = require('../../dist/tools/bootstrap/local-layout');
  const layout = loadLocalLayout({ database: process.env.TPO_TEST_DATABASE || 'tpo_test' });
  await bootstrapDatabase(layout);
  await migrateAll(layout);
};
