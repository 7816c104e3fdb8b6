import 'reflect-metadata';
import { migrateAll } from './bootstrap';
import { loadLocalLayout } from './local-layout';

/** Runs every service's migrations as its own role (the database and roles must exist). */
migrateAll(loadLocalLayout()).catch((e) => {
  process.stderr.write(`[migrate] ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
