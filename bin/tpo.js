#!/usr/bin/env node
// `npx tpo ...`: the platform CLI (apps/cli), compiled by `npm run build` (also run by `npm start`).
const { existsSync } = require('node:fs');
const { resolve } = require('node:path');

const entry = resolve(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('tpo is not built yet: run `npm run build` (or `npm start`) in the repository first\n');
  process.exit(1);
}
require(entry)
  .runCli(process.argv)
  .then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
