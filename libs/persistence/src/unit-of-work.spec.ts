import { DataSource, EntityManager } from 'typeorm';
import { UnitOfWork } from './unit-of-work';

/** A data source whose transactions commit unless the work throws (or `commitFails`). */
function setup(options: { commitFails?: boolean } = {}) {
  const statements: string[] = [];
  const manager = {
    query: async (text: string) => void statements.push(text),
  } as unknown as EntityManager;
  const dataSource = {
    manager,
    transaction: async <T>(work: (m: EntityManager) => Promise<T>) => {
      const result = await work(manager);
      if (options.commitFails) throw new Error('connection lost during COMMIT');
      return result;
    },
  } as unknown as DataSource;
  return { uow: new UnitOfWork(dataSource), statements };
}

describe('UnitOfWork.onSettled', () => {
  it('is told true after the outermost transaction committed, not before', async () => {
    const { uow } = setup();
    const seen: string[] = [];
    await uow.run(async () => {
      uow.onSettled((committed) => seen.push(`outer:${committed}`));
      await uow.run(async () => uow.onSettled((committed) => seen.push(`joined:${committed}`)));
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['outer:true', 'joined:true']);
  });

  it('is told false after a rollback, and after a failed COMMIT', async () => {
    const rolledBack = setup();
    const seen: boolean[] = [];
    await expect(
      rolledBack.uow.run(async () => {
        rolledBack.uow.onSettled((c) => seen.push(c));
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    const commitFails = setup({ commitFails: true });
    await expect(commitFails.uow.run(async () => commitFails.uow.onSettled((c) => seen.push(c)))).rejects.toThrow(
      'COMMIT',
    );
    expect(seen).toEqual([false, false]);
  });

  it('a rolled-back savepoint tells its own callbacks false at once; the rest wait for the commit', async () => {
    const { uow, statements } = setup();
    const seen: string[] = [];
    await uow.run(async () => {
      uow.onSettled((c) => seen.push(`before:${c}`));
      await expect(
        uow.runIsolated(async () => {
          uow.onSettled((c) => seen.push(`savepoint:${c}`));
          throw new Error('rejected');
        }),
      ).rejects.toThrow('rejected');
      expect(seen).toEqual(['savepoint:false']);
      await uow.runIsolated(async () => uow.onSettled((c) => seen.push(`kept:${c}`)));
    });
    expect(seen).toEqual(['savepoint:false', 'before:true', 'kept:true']);
    expect(statements.filter((s) => s.startsWith('ROLLBACK TO SAVEPOINT'))).toHaveLength(1);
  });

  it('outside a transaction the statements already committed: told true at once', () => {
    const { uow } = setup();
    const seen: boolean[] = [];
    uow.onSettled((c) => seen.push(c));
    expect(seen).toEqual([true]);
  });

  it("a callback's failure does not fail the committed work nor stop the other callbacks", async () => {
    const { uow } = setup();
    const seen: boolean[] = [];
    await expect(
      uow.run(async () => {
        uow.onSettled(() => {
          throw new Error('callback bug');
        });
        uow.onSettled((c) => seen.push(c));
        return 'done';
      }),
    ).resolves.toBe('done');
    expect(seen).toEqual([true]);
  });
});
