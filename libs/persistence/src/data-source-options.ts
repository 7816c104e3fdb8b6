import { randomUUID } from 'node:crypto';
import { DataSourceOptions, EntitySchema, MixedList } from 'typeorm';
import { PreparingClient } from './preparing-client';

export interface ServiceDataSourceConfig {
  /** postgres:// URL with the service's own role. */
  url: string;
  /** The schema the service owns; also its search_path, so SQL stays unqualified. */
  schema: string;
  applicationName: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  poolSize?: number;
  /** Parameterised statements as named prepared statements (PreparingClient); default true. */
  preparedStatements?: boolean;
}

/**
 * TypeORM options every service uses: `synchronize` is off for good — the schema changes only
 * through committed migrations, recorded in the service's own `migrations` table.
 */
export function serviceDataSourceOptions(cfg: ServiceDataSourceConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: cfg.url,
    schema: cfg.schema,
    applicationName: cfg.applicationName,
    entities: cfg.entities,
    migrations: cfg.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      // Parameterised statements run prepared (parsed once per connection): see PreparingClient.
      ...(cfg.preparedStatements === false ? {} : { Client: PreparingClient }),
      max: cfg.poolSize ?? 10,
      // One connection stays open when idle: the periodic reads (outbox and job safety nets, every
      // 10-30 s) would otherwise find the pool emptied by its 10 s idle timeout and open a new one,
      // a Postgres backend started for one query, every 10 s per service.
      min: 1,
      // tpo.origin names this pool (one per DataSource, so per process and service) in the outbox's
      // NOTIFY payload: the local relay tells rows it is handed after commit from other writers'.
      options: `-c search_path=${cfg.schema} -c tpo.origin=${randomUUID()}`,
      connectionTimeoutMillis: 5000,
      // A statement that hangs must not pin an event past its ack wait.
      statement_timeout: 15_000,
    },
  };
}
