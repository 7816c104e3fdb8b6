import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource, EntityManager } from 'typeorm';

const storage = new AsyncLocalStorage<EntityManager>();

/** One prepared-statement name per distinct statement text, for the whole process. */
const statementNames = new Map<string, string>();

/**
 * Runs work in one Postgres transaction. Repositories call `manager()` and so join whatever
 * transaction is in scope, which is how a handler's state, its inbox row and the events it emits
 * commit together without passing a transaction object through every use case.
 */
export class UnitOfWork {
  constructor(private readonly dataSource: DataSource) {}

  /** Joins the current transaction, or opens one. */
  run<T>(work: () => Promise<T>): Promise<T> {
    if (storage.getStore()) return work();
    return this.dataSource.transaction((manager) => storage.run(manager, work));
  }

  /**
   * Like `run`, but when already inside a transaction the work gets a savepoint: if it fails, only
   * its own writes are undone and the outer transaction stays usable (e.g. to record a rejection).
   */
  async runIsolated<T>(work: () => Promise<T>): Promise<T> {
    const manager = storage.getStore();
    if (!manager) return this.run(work);
    const name = `sp_${Math.random().toString(36).slice(2, 10)}`;
    await manager.query(`SAVEPOINT ${name}`);
    try {
      const result = await work();
      await manager.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (e) {
      await manager.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw e;
    }
  }

  /** The transaction's manager when inside `run`, else the pool's. */
  manager(): EntityManager {
    return storage.getStore() ?? this.dataSource.manager;
  }

  /**
   * A read as a named (prepared) statement: Postgres parses and plans it once per pooled connection
   * instead of on every call (for the tenant detail, planning took longer than running it). Inside a
   * transaction it is an ordinary query on the transaction's connection. `text` must be one of the
   * code's own constants (each distinct text stays prepared on each connection it ran on).
   */
  async prepared<T extends QueryResultRow = Record<string, unknown>>(text: string, params: unknown[]): Promise<T[]> {
    const manager = storage.getStore();
    if (manager) return manager.query(text, params) as Promise<T[]>;
    let name = statementNames.get(text);
    if (!name) {
      name = `tpo_${statementNames.size + 1}`;
      statementNames.set(text, name);
    }
    // TypeORM's Postgres driver keeps its pg Pool as `master`; same connections, settings and type
    // parsers as `manager().query`.
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    return (await pool.query<T>({ name, text, values: params })).rows;
  }

  inTransaction(): boolean {
    return storage.getStore() !== undefined;
  }
}
