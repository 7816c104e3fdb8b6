import type { Pool, QueryResultRow } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { AmbientSlot } from '@tpo/platform';

/** What happens once the transaction ends: `committed` is false after a rollback (or a failed COMMIT). */
export type SettledCallback = (committed: boolean) => void;

interface Scope {
  manager: EntityManager;
  settled: SettledCallback[];
}

/** The transaction in scope (in the platform's one AsyncLocalStorage, see AmbientSlot). */
const storage = new AmbientSlot<Scope>();

function notify(callbacks: SettledCallback[], committed: boolean): void {
  for (const callback of callbacks) {
    try {
      callback(committed);
    } catch {
      // A callback's own failure must not turn a committed transaction into a failed one.
    }
  }
}

/**
 * Runs work in one Postgres transaction. Repositories call `manager()` and so join whatever
 * transaction is in scope, which is how a handler's state, its inbox row and the events it emits
 * commit together without passing a transaction object through every use case.
 */
export class UnitOfWork {
  constructor(private readonly dataSource: DataSource) {}

  /** Joins the current transaction, or opens one. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (storage.get()) return work();
    const settled: SettledCallback[] = [];
    let result: T;
    try {
      result = await this.dataSource.transaction((manager) => storage.run({ manager, settled }, work));
    } catch (e) {
      notify(settled, false);
      throw e;
    }
    notify(settled, true);
    return result;
  }

  /**
   * Like `run`, but when already inside a transaction the work gets a savepoint: if it fails, only
   * its own writes are undone and the outer transaction stays usable (e.g. to record a rejection).
   */
  async runIsolated<T>(work: () => Promise<T>): Promise<T> {
    const scope = storage.get();
    if (!scope) return this.run(work);
    const name = `sp_${Math.random().toString(36).slice(2, 10)}`;
    const registered = scope.settled.length;
    await scope.manager.query(`SAVEPOINT ${name}`);
    try {
      const result = await work();
      await scope.manager.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (e) {
      await scope.manager.query(`ROLLBACK TO SAVEPOINT ${name}`);
      // What the savepoint's work registered is undone with it: told now, not at the outer commit.
      notify(scope.settled.splice(registered), false);
      throw e;
    }
  }

  /**
   * Calls `callback` once the transaction in scope ends: with true after it committed, with false
   * after a rollback (also when COMMIT itself failed, whose outcome the client cannot know: act
   * only on true). Outside a transaction the statements already committed: called at once with
   * true. For what must happen only after the data is durable (e.g. handing a job inserted in the
   * transaction to a worker); it must not throw, and nothing awaits it.
   */
  onSettled(callback: SettledCallback): void {
    const scope = storage.get();
    if (scope) scope.settled.push(callback);
    else callback(true);
  }

  /** The transaction's manager when inside `run`, else the pool's. */
  manager(): EntityManager {
    return storage.get()?.manager ?? this.dataSource.manager;
  }

  /**
   * A read as a named (prepared) statement: Postgres parses and plans it once per pooled connection
   * instead of on every call (for the tenant detail, planning took longer than running it). Inside a
   * transaction it is an ordinary query on the transaction's connection. `text` must be one of the
   * code's own constants (each distinct text stays prepared on each connection it ran on).
   */
  async prepared<T extends QueryResultRow = Record<string, unknown>>(text: string, params: unknown[]): Promise<T[]> {
    const manager = storage.get()?.manager;
    if (manager) return manager.query(text, params) as Promise<T[]>;
    // TypeORM's Postgres driver keeps its pg Pool as `master`; same connections, settings and type
    // parsers as `manager().query`. The pool's PreparingClient names the statement by its text.
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    return (await pool.query<T>(text, params)).rows;
  }

  inTransaction(): boolean {
    return storage.get() !== undefined;
  }
}
