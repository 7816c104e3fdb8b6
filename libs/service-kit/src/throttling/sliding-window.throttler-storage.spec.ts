import { SlidingWindowThrottlerStorage } from './sliding-window.throttler-storage';

describe('SlidingWindowThrottlerStorage', () => {
  let now = 0;
  const storage = new SlidingWindowThrottlerStorage(() => now);
  afterAll(() => storage.onApplicationShutdown());
  const hit = (key: string, limit = 3, block = 60_000) => storage.increment(key, 60_000, limit, block, 'default');

  it('allows `limit` hits per window, then blocks the key for the block duration and starts again from zero', async () => {
    now = 1_000;
    for (let i = 1; i <= 3; i++) expect(await hit('a')).toMatchObject({ totalHits: i, isBlocked: false });
    expect(await hit('a')).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 60 });
    now += 30_000;
    expect(await hit('a')).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
    expect(await hit('b')).toMatchObject({ totalHits: 1, isBlocked: false }); // keys are independent
    now += 30_001;
    expect(await hit('a')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it("counts the previous window's hits by how much of it the sliding window still covers", async () => {
    now = 1_000_000;
    for (let i = 0; i < 10; i++) await hit('c', 100);
    now += 60_000 + 15_000; // a quarter into the next window: three quarters of the previous one count
    expect(await hit('c', 100)).toMatchObject({ totalHits: 1 + 7, isBlocked: false });
    now += 120_000; // two windows later nothing is left
    expect(await hit('c', 100)).toMatchObject({ totalHits: 1 });
  });

  it('without a block duration refuses hits at the limit and does not count them', async () => {
    now = 5_000_000;
    await hit('d', 2, 0);
    await hit('d', 2, 0);
    expect(await hit('d', 2, 0)).toMatchObject({ isBlocked: true, totalHits: 3 });
    now += 60_000; // the sliding window still covers both hits
    expect(await hit('d', 2, 0)).toMatchObject({ isBlocked: true });
    now += 30_000; // half of them
    expect(await hit('d', 2, 0)).toMatchObject({ isBlocked: false, totalHits: 2 });
  });
});
