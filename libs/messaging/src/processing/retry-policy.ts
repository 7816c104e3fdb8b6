/** Delay before the next delivery after a transient failure: exponential, capped, with jitter. */
export class RetryPolicy {
  constructor(
    readonly maxAttempts: number,
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** `deliveryCount` is 1 for the first delivery. */
  delayAfter(deliveryCount: number): number {
    const exp = Math.min(this.maxMs, this.baseMs * 2 ** Math.max(0, deliveryCount - 1));
    // ±20 % jitter so that many failing consumers do not retry in lockstep.
    const jitter = exp * 0.2 * (this.random() * 2 - 1);
    return Math.max(1, Math.round(Math.min(this.maxMs, exp + jitter)));
  }

  exhausted(deliveryCount: number): boolean {
    return deliveryCount >= this.maxAttempts;
  }
}
