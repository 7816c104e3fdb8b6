import { RetryPolicy } from './retry-policy';

describe('RetryPolicy', () => {
  it('doubles the delay per delivery and caps it', () => {
    const p = new RetryPolicy(10, 1000, 30_000, () => 0.5); // no jitter at 0.5
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => p.delayAfter(n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('jitters within ±20 % and never exceeds the cap', () => {
    const low = new RetryPolicy(10, 1000, 30_000, () => 0);
    const high = new RetryPolicy(10, 1000, 30_000, () => 0.999999);
    expect(low.delayAfter(2)).toBe(1600);
    expect(high.delayAfter(2)).toBe(2400);
    expect(high.delayAfter(10)).toBeLessThanOrEqual(30_000);
  });

  it('is exhausted at the configured attempt', () => {
    const p = new RetryPolicy(3, 10, 100);
    expect(p.exhausted(2)).toBe(false);
    expect(p.exhausted(3)).toBe(true);
  });
});
