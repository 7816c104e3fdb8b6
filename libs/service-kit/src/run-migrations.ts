import 'reflect-metadata';
import { serviceDataSourceOptions } from '@tpo/persistence';
import { IsOptional, Matches } from 'class-validator';
import { DataSource } from 'typeorm';
import { loadConfigOrExit } from './bootstrap-service';
import { SHARED_MIGRATIONS } from './service-kit.module';

class MigrationEnv {
  @Matches(/^postgres(ql)?:\/\/[^\s]+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @Matches(/^[a-z][a-z0-9_]{0,62}$/, { message: 'DATABASE_SCHEMA must be a lower-case SQL identifier' })
  DATABASE_SCHEMA!: string;

  @IsOptional()
  @Matches(/^(up|down|status)$/)
  MIGRATE_DIRECTION: 'up' | 'down' | 'status' = 'up';
}

/**
 * Entry point of each app's `migrate` target: applies (or with MIGRATE_DIRECTION=down reverts one)
 * migration as the service's own role, inside its own schema.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export async function runMigrations(service: string, migrations: Function[]): Promise<void> {
  const env = loadConfigOrExit(`${service}:migrate`, MigrationEnv);
  const ds = new DataSource(
    serviceDataSourceOptions({
      url: env.DATABASE_URL,
      schema: env.DATABASE_SCHEMA,
      applicationName: `${service}:migrate`,
      entities: [],
      migrations: [...SHARED_MIGRATIONS, ...migrations],
      poolSize: 1,
    }),
  );
  await ds.initialize();
  try {
    if (env.MIGRATE_DIRECTION === 'down') {
      await ds.undoLastMigration({ transaction: 'each' });
    } else if (env.MIGRATE_DIRECTION === 'status') {
      const pending = await ds.showMigrations();
      process.stdout.write(`${service}: ${pending ? 'migrations pending' : 'up to date'}\n`);
    } else {
      const applied = await ds.runMigrations({ transaction: 'each' });
      process.stdout.write(
        `${service}: ${applied.length} migration(s) applied${applied.length ? `: ${applied.map((m) => m.name).join(', ')}` : ''}\n`,
      );
    }
  } finally {
    await ds.destroy();
  }
}
