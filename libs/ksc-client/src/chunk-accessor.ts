import { KscValue } from './ksc-codec';
import { asRecord, asRecords, KscRecord, requireNumber } from './ksc-records';
import { KscSession } from './ksc-session';

/** ChunkAccessor (ksc-openapi.md §4.1): random-access pages of a server-side result set. */
export class ChunkAccessorApi {
  constructor(private readonly session: KscSession) {}

  async getItemsCount(accessor: string): Promise<number> {
    const r = await this.session.call('ChunkAccessor.GetItemsCount', { strAccessor: accessor });
    return requireNumber(r, 'PxgRetVal', 'ChunkAccessor.GetItemsCount');
  }

  /** Items `start … start+count-1`, unwrapped. */
  async getItemsChunk<T extends KscRecord = KscRecord>(accessor: string, start: number, count: number): Promise<T[]> {
    const r = await this.session.call('ChunkAccessor.GetItemsChunk', {
      strAccessor: accessor,
      nStart: start,
      nCount: count,
    });
    return asRecords<T>(asRecord(r.pChunk as KscValue).KLCSP_ITERATOR_ARRAY);
  }

  async release(accessor: string): Promise<void> {
    await this.session.call('ChunkAccessor.Release', { strAccessor: accessor });
  }

  /**
   * Every item of an accessor, page by page, releasing it in `finally` (also when the consumer
   * stops early or a call fails).
   */
  async *iterate<T extends KscRecord = KscRecord>(accessor: string, count: number, pageSize = 100): AsyncGenerator<T> {
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('pageSize must be a positive integer');
    try {
      for (let start = 0; start < count;) {
        const items = await this.getItemsChunk<T>(accessor, start, Math.min(pageSize, count - start));
        if (items.length === 0) break;
        for (const item of items) yield item;
        start += items.length;
      }
    } finally {
      // The result set expires by itself (lMaxLifeTime); a failed release must not hide the real outcome.
      await this.release(accessor).catch(() => undefined);
    }
  }
}
