import { runMigrations } from '@tpo/service-kit';
import { SERVICE_MIGRATIONS } from './migrations';

runMigrations('agent-install-service', SERVICE_MIGRATIONS).catch((e) => {
  process.stderr.write(`agent-install-service: migration failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
