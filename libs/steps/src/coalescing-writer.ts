/**
 * Group commit for progress writes: items written while a write is in flight go together in the
 * next one, so N concurrent writers cost 1 + ceil(...) statements instead of N, with no added wait
 * (a lone item is written at once). Each `write` resolves when its own item is stored, or rejects
 * with its batch's error (e.g. LeaseLostError: the whole batch was refused, nothing written).
 */
export class CoalescingWriter<T> {
  private queue: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing = false;

  constructor(private readonly flush: (items: T[]) => Promise<void>) {}

  write(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        try {
          await this.flush(batch.map((b) => b.item));
          for (const b of batch) b.resolve();
        } catch (e) {
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
