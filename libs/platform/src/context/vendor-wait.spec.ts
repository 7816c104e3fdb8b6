import { VendorPause, waitForVendor } from './vendor-wait';

/** A pause of `ms` whose news comes when `news()` is called; `rest` answers what it is given. */
function pauseWithNews(ms: number, rest: number) {
  let wake: (() => void) | undefined;
  let subscribed = 0;
  const pause: VendorPause = {
    ms,
    subscribe: (w) => {
      subscribed++;
      wake = w;
      return () => {
        subscribed--;
        wake = undefined;
      };
    },
    rest: () => rest,
  };
  return { pause, news: () => wake?.(), subscribed: () => subscribed };
}

describe('waitForVendor with a pause that news may shorten', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('ends `rest` after the news instead of at the planned time, and unsubscribes', async () => {
    const p = pauseWithNews(5_000, 100);
    let endedAt = -1;
    const wait = waitForVendor(p.pause).then(() => (endedAt = Date.now()));
    await jest.advanceTimersByTimeAsync(1_000);
    p.news();
    await jest.advanceTimersByTimeAsync(5_000);
    await wait;
    expect(endedAt).toBe(1_100);
    expect(p.subscribed()).toBe(0);
  });

  it('never ends later than planned, whatever the news says', async () => {
    const p = pauseWithNews(2_000, 60_000);
    let endedAt = -1;
    const wait = waitForVendor(p.pause).then(() => (endedAt = Date.now()));
    await jest.advanceTimersByTimeAsync(1_500);
    p.news();
    await jest.advanceTimersByTimeAsync(5_000);
    await wait;
    expect(endedAt).toBe(2_000);
  });

  it('ends at the planned time without news, and unsubscribes', async () => {
    const p = pauseWithNews(2_000, 0);
    let endedAt = -1;
    const wait = waitForVendor(p.pause).then(() => (endedAt = Date.now()));
    await jest.advanceTimersByTimeAsync(3_000);
    await wait;
    expect([endedAt, p.subscribed()]).toEqual([2_000, 0]);
  });

  it('rejects when aborted, and unsubscribes', async () => {
    const p = pauseWithNews(2_000, 0);
    const abort = new AbortController();
    const wait = waitForVendor(p.pause, abort.signal);
    abort.abort(new Error('stopping'));
    await expect(wait).rejects.toThrow('stopping');
    expect(p.subscribed()).toBe(0);
  });

  it('takes news that is already there when the wait begins', async () => {
    let unsubscribed = 0;
    const pause: VendorPause = {
      ms: 5_000,
      subscribe: (wake) => {
        wake();
        return () => unsubscribed++;
      },
      rest: () => 300,
    };
    let endedAt = -1;
    const wait = waitForVendor(pause).then(() => (endedAt = Date.now()));
    await jest.advanceTimersByTimeAsync(5_000);
    await wait;
    expect([endedAt, unsubscribed]).toEqual([300, 1]);
  });

  it('never ends before its time by the clock, even when the timer fires early', async () => {
    let endedAt = -1;
    const wait = waitForVendor(1_000).then(() => (endedAt = Date.now()));
    // The clock runs 5 ms behind the timers (as Date.now() may against setTimeout's own clock).
    jest.setSystemTime(-5);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(endedAt).toBe(-1);
    await jest.advanceTimersByTimeAsync(5);
    await wait;
    expect(endedAt).toBe(1_000);
  });
});
