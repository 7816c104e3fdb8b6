import { Client } from 'pg';

/**
 * How many distinct statement texts one process prepares at most. The platform's own statements
 * are a few hundred constants; past the cap (a text built from data, say) statements run unnamed,
 * as before, so a runaway cannot fill every backend's memory with prepared statements.
 */
export const MAX_PREPARED_STATEMENTS = 1_000;

/** One name per distinct statement text, for the whole process (all pools, all connections). */
const names = new Map<string, string>();

/**
 * The prepared-statement name for a parameterised statement's text, or undefined past the cap. The
 * same text always gets the same name, so a connection that prepared it once only binds and runs it.
 */
export function preparedStatementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_PREPARED_STATEMENTS) {
    name = `tpo_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

/** SQLSTATE `feature_not_supported`, which Postgres raises for a prepared plan whose row type changed. */
const FEATURE_NOT_SUPPORTED = '0A000';

/**
 * A pg `Client` (handed to TypeORM's pool as `extra.Client`) that runs every parameterised
 * statement as a named, prepared one: Postgres parses and analyses its text once per connection
 * instead of on every call (a `perf` profile of the backends under the onboarding bench showed about
 * a quarter of their CPU in parse, analyse and plan), and the client sends only Bind and Execute
 * after the first time. Statements without parameters (BEGIN, COMMIT, DDL, migrations) keep the
 * simple protocol. Results, errors and type parsing are pg's own, so TypeORM and every repository
 * see no difference.
 *
 * A statement prepared before a migration changed its result's row type fails once on each
 * connection that prepared it, with "cached plan must not change result type" (0A000): the error
 * goes to the caller like any other (its transaction fails and is retried), and this connection
 * prepares the text again under a new name next time (a failed `pool.query`, as UnitOfWork.prepared
 * reads, drops its connection instead: pg-pool's own rule).
 */
export class PreparingClient extends Client {
  /** Texts whose prepared statement went stale on this connection, with the name to use instead. */
  readonly renamed = new Map<string, string>();
}

type AnyQuery = (this: Client, ...args: unknown[]) => unknown;
const clientQuery = Client.prototype.query as AnyQuery;

// pg's `query` has a dozen overloads; the override is installed on the prototype so it can take
// and pass on whatever arguments the caller gave, untyped, exactly as pg receives them.
(PreparingClient.prototype as unknown as { query: (this: PreparingClient, ...args: unknown[]) => unknown }).query =
  function query(this: PreparingClient, ...args: unknown[]): unknown {
    const [text, values] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0) {
      const name = this.renamed.get(text) ?? preparedStatementName(text);
      if (name !== undefined) {
        const result = clientQuery.call(this, { name, text }, ...args.slice(1));
        if (!(result instanceof Promise)) return result;
        return result.catch((e: unknown) => {
          const error = e as { code?: unknown; message?: unknown } | null;
          if (error?.code === FEATURE_NOT_SUPPORTED && /cached plan/i.test(String(error.message)))
            this.renamed.set(text, `${name}_${this.renamed.size + 1}`);
          throw e;
        });
      }
    }
    return clientQuery.apply(this, args);
  };
