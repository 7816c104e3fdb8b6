/** Calls per operation, so tests can assert "exactly one CreateTenant". */
export class CallCounters {
  private readonly counts = new Map<string, number>();

  hit(method: string): void {
    this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
  }

  get(method: string): number {
    return this.counts.get(method) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.counts.clear();
  }
}
