import { serviceDataSourceOptions, UnitOfWork, violatedUniqueConstraint } from '@tpo/persistence';
import { DataSource, QueryFailedError } from 'typeorm';
import { serviceLayout, testDatabaseUrl } from '../support/test-env';

/** A service pool on tenant-service's schema, as the services build theirs. */
function servicePool(applicationName: string, poolSize: number, preparedStatements?: boolean): DataSource {
  return new DataSource(
    serviceDataSourceOptions({
      url: testDatabaseUrl('tenant-service'),
      schema: serviceLayout('tenant-service').schema,
      applicationName,
      entities: [],
      migrations: [],
      poolSize,
      preparedStatements,
    }),
  );
}

/**
 * Prepared statements: every parameterised statement of a service's pool (PreparingClient) runs
 * named, so Postgres parses it once per connection; UnitOfWork.prepared reads on the pool.
 */
describe('prepared statements (real Postgres)', () => {
  let ds: DataSource;
  let uow: UnitOfWork;
  const SQL = `SELECT $1::int + 1 AS n, now() AS at, current_setting('search_path') AS path`;

  beforeAll(async () => {
    ds = servicePool('prepared-read', 2);
    await ds.initialize();
    uow = new UnitOfWork(ds);
  });

  afterAll(async () => {
    await ds.destroy();
  });

  it('answers as manager().query does (same pool settings and type parsers), prepared once per connection', async () => {
    const plain = (await uow.manager().query(SQL, [1])) as Record<string, unknown>[];
    for (let i = 0; i < 6; i++) {
      const [row] = await uow.prepared<{ n: number; at: Date; path: string }>(SQL, [i]);
      expect(row.n).toBe(i + 1);
      expect(row.at).toBeInstanceOf(Date);
      expect(row.path).toBe(plain[0].path);
    }
    const prepared = (await uow
      .manager()
      .query(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1`, [SQL])) as { n: number }[];
    expect(prepared[0].n).toBeLessThanOrEqual(1); // per connection, and only on those it ran on
  });

  const preparedOnThisConnection = async (text: string) =>
    (
      (await uow
        .manager()
        .query(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1`, [text])) as { n: number }[]
    )[0].n;

  it("a transaction's parameterised writes run prepared, with TypeORM's result shapes and errors unchanged", async () => {
    const table = `prep_${Date.now()}`;
    await uow.manager().query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text)`);
    try {
      const insert = `INSERT INTO ${table} (id, v) VALUES ($1, $2) RETURNING id`;
      const update = `UPDATE ${table} SET v = $2 WHERE id = $1 RETURNING v`;
      await uow.run(async () => {
        expect(await uow.manager().query(insert, [1, 'a'])).toEqual([{ id: 1 }]);
        expect(await uow.manager().query(insert, [2, 'b'])).toEqual([{ id: 2 }]);
        // UPDATE keeps TypeORM's [rows, affected] shape.
        expect(await uow.manager().query(update, [1, 'c'])).toEqual([[{ v: 'c' }], 1]);
        expect(await preparedOnThisConnection(insert)).toBe(1);
        expect(await preparedOnThisConnection(update)).toBe(1);
        // No parameters: the simple protocol, nothing prepared.
        await uow.manager().query(`SELECT 41 + 1 AS unprepared_probe`);
        expect(await preparedOnThisConnection(`SELECT 41 + 1 AS unprepared_probe`)).toBe(0);
      });
      // A failing prepared statement is still TypeORM's error, with Postgres' code and constraint.
      const error = await uow.run(() => uow.manager().query(insert, [1, 'again'])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueryFailedError);
      expect(violatedUniqueConstraint(error)).toBe(`${table}_pkey`);
    } finally {
      await uow.manager().query(`DROP TABLE ${table}`);
    }
  });

  it("a statement whose result's row type a migration changed fails once on a connection, then runs prepared afresh", async () => {
    const table = `prep_stale_${Date.now()}`;
    const one = servicePool('prepared-stale', 1); // one connection: every call below runs on it;
    await one.initialize();
    try {
      await one.query(`CREATE TABLE ${table} (id int)`);
      await one.query(`INSERT INTO ${table} VALUES (1)`);
      const select = `SELECT * FROM ${table} WHERE id = $1`;
      expect(await one.query(select, [1])).toEqual([{ id: 1 }]);
      await one.query(`ALTER TABLE ${table} ADD COLUMN note text DEFAULT 'new'`);
      await expect(one.query(select, [1])).rejects.toMatchObject({ code: '0A000' });
      expect(await one.query(select, [1])).toEqual([{ id: 1, note: 'new' }]);
      expect(await one.query(select, [1])).toEqual([{ id: 1, note: 'new' }]);
      // The same through the pool's own query (UnitOfWork.prepared reads): pg-pool drops a client
      // whose `pool.query` failed, so the next call prepares on a new connection.
      const pooled = new UnitOfWork(one);
      const read = `SELECT * FROM ${table} WHERE id = $1 AND true`;
      expect(await pooled.prepared(read, [1])).toEqual([{ id: 1, note: 'new' }]);
      await one.query(`ALTER TABLE ${table} ADD COLUMN extra int DEFAULT 7`);
      await expect(pooled.prepared(read, [1])).rejects.toMatchObject({ code: '0A000' });
      expect(await pooled.prepared(read, [1])).toEqual([{ id: 1, note: 'new', extra: 7 }]);
    } finally {
      await one.query(`DROP TABLE IF EXISTS ${table}`);
      await one.destroy();
    }
  });

  it('with preparedStatements: false (DATABASE_PREPARED_STATEMENTS=off, for a pooler in transaction mode) nothing is prepared', async () => {
    const plain = servicePool('prepared-off', 1, false);
    await plain.initialize();
    try {
      const text = `SELECT $1::int * 2 AS unprepared_double`;
      expect(await plain.query(text, [21])).toEqual([{ unprepared_double: 42 }]);
      const [row] = (await plain.query(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1`, [
        text,
      ])) as { n: number }[];
      expect(row.n).toBe(0);
    } finally {
      await plain.destroy();
    }
  });

  it('inside a transaction runs on the transaction (sees its uncommitted writes)', async () => {
    await uow.run(async () => {
      await uow.manager().query(`CREATE TEMP TABLE prepared_probe (v int) ON COMMIT DROP`);
      await uow.manager().query(`INSERT INTO prepared_probe VALUES (7)`);
      const rows = await uow.prepared<{ v: number }>(`SELECT v FROM prepared_probe`, []);
      expect(rows).toEqual([{ v: 7 }]);
    });
  });
});
