import { runMigrations } from '@tpo/service-kit';
import { SERVICE_MIGRATIONS } from './migrations';

runMigrations('activation-service', SERVICE_MIGRATIONS).catch((e) => {
  process.stderr.write(`activation-service: migration failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
