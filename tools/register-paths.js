// Resolves the @tpo/* path aliases of tsconfig.base.json to the compiled files under dist/.
const path = require('node:path');
const tsConfigPaths = require('tsconfig-paths');
const { compilerOptions } = require('../tsconfig.base.json');
const paths = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [alias, [target.replace(/\.ts$/, '')]]),
);
tsConfigPaths.register({ baseUrl: path.resolve(__dirname, '..', 'dist'), paths });
