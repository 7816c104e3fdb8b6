import { serviceDataSourceOptions, UnitOfWork } from '@tpo/persistence';
import { runExclusiveRound } from '@tpo/jobs';
import { DataSource } from 'typeorm';
import { serviceLayout, testDatabaseUrl } from '../support/test-env';

/** Two replicas of a service (two connection pools on one schema) scheduling the same periodic round. */
describe('exclusive rounds of periodic tasks across replicas (real Postgres)', () => {
  const replicas: { ds: DataSource; uow: UnitOfWork }[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const ds = new DataSource(
        serviceDataSourceOptions({
          url: testDatabaseUrl('tenant-service'),
          schema: serviceLayout('tenant-service').schema,
          applicationName: `replica-${i}`,
          entities: [],
          migrations: [],
          poolSize: 2,
        }),
      );
      await ds.initialize();
      replicas.push({ ds, uow: new UnitOfWork(ds) });
    }
  });

  afterAll(async () => {
    for (const r of replicas) await r.ds.destroy();
  });

  it('runs a round in one replica at a time: the other skips while it runs, and runs once it is done', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const ran: string[] = [];
    const first = runExclusiveRound(replicas[0].uow, 'tenant:test-round', async () => {
      ran.push('a');
      started();
      await held;
    });
    await running;
    expect(await runExclusiveRound(replicas[1].uow, 'tenant:test-round', async () => void ran.push('b'))).toBe(false);
    expect(await runExclusiveRound(replicas[1].uow, 'tenant:other-round', async () => void ran.push('other'))).toBe(
      true,
    );
    release();
    expect(await first).toBe(true);
    expect(await runExclusiveRound(replicas[1].uow, 'tenant:test-round', async () => void ran.push('b'))).toBe(true);
    expect(ran).toEqual(['a', 'other', 'b']);
  });

  it('a round that fails releases the lock with its transaction', async () => {
    await expect(
      runExclusiveRound(replicas[0].uow, 'tenant:failing-round', async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    expect(await runExclusiveRound(replicas[1].uow, 'tenant:failing-round', async () => undefined)).toBe(true);
  });
});
