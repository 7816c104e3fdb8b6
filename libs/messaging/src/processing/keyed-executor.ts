/**
 * Runs tasks with at most `limit` in flight, and tasks sharing a key strictly one after another
 * (events of one tenant are applied in delivery order even with concurrency > 1).
 */
export class KeyedExecutor {
  private readonly tails = new Map<string, Promise<void>>();
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Resolves once the task is admitted (a slot is free); the task then runs in its key's order. */
  async submit(key: string, task: () => Promise<void>): Promise<void> {
    while (this.inFlight >= this.limit) await new Promise<void>((r) => this.waiters.push(r));
    this.inFlight++;
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(task).catch(() => undefined);
    const tail = run.finally(() => {
      this.inFlight--;
      if (this.tails.get(key) === tail) this.tails.delete(key);
      this.waiters.shift()?.();
    });
    this.tails.set(key, tail);
  }

  /** Resolves when everything submitted so far has finished. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  get size(): number {
    return this.inFlight;
  }
}
