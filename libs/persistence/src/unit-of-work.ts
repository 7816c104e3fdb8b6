import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';

const storage = new AsyncLocalStorage<EntityManager>();

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

  inTransaction(): boolean {
    return storage.getStore() !== undefined;
  }
}
