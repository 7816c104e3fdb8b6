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

  /** The transaction's manager when inside `run`, else the pool's. */
  manager(): EntityManager {
    return storage.getStore() ?? this.dataSource.manager;
  }

  inTransaction(): boolean {
    return storage.getStore() !== undefined;
  }
}
