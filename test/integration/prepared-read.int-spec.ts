import { serviceDataSourceOptions, UnitOfWork } from '@tpo/persistence';
import { DataSource } from 'typeorm';
import { serviceLayout, testDatabaseUrl } from '../support/test-env';

/** UnitOfWork.prepared: reads as named statements on the pool, plain queries inside a transaction. */
describe('prepared reads (real Postgres)', () => {
  let ds: DataSource;
  let uow: UnitOfWork;
  const SQL = `SELECT $1::int + 1 AS n, now() AS at, current_setting('search_path') AS path`;

  beforeAll(async () => {
    ds = new DataSource(
      serviceDataSourceOptions({
        url: testDatabaseUrl('tenant-service'),
        schema: serviceLayout('tenant-service').schema,
        applicationName: 'prepared-read',
        entities: [],
        migrations: [],
        poolSize: 2,
      }),
    );
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

  it('inside a transaction runs on the transaction (sees its uncommitted writes)', async () => {
    await uow.run(async () => {
      await uow.manager().query(`CREATE TEMP TABLE prepared_probe (v int) ON COMMIT DROP`);
      await uow.manager().query(`INSERT INTO prepared_probe VALUES (7)`);
      const rows = await uow.prepared<{ v: number }>(`SELECT v FROM prepared_probe`, []);
      expect(rows).toEqual([{ v: 7 }]);
    });
  });
});
