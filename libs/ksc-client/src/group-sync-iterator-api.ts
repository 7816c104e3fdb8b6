import { KscValue } from './ksc-codec';
import { asRecord, asRecords, KscRecord } from './ksc-records';
import { KscSession } from './ksc-session';

/**
 * GroupSyncIterator (ksc-openapi-addendum.md §3.2, DOCUMENTED): the iterator `LicenseKeys.EnumKeys`
 * and `AcquireKeyHosts` hand out. `GetNextItems(szwIterator, nCount)` → `pData.KLCSP_ITERATOR_ARRAY`,
 * `bEOF`; `ReleaseIterator(szwIterator)` frees it. GetNextItems advances the server-side cursor, so
 * it is never repeated blindly (a repeat after a lost answer would skip items): a failed read fails
 * the whole enumeration, which the caller starts again.
 */
export class GroupSyncIteratorApi {
  constructor(private readonly session: KscSession) {}

  async getNextItems<T extends KscRecord = KscRecord>(
    iterator: string,
    count: number,
  ): Promise<{ items: T[]; eof: boolean }> {
    const r = await this.session.call(
      'GroupSyncIterator.GetNextItems',
      { szwIterator: iterator, nCount: count },
      { idempotent: false },
    );
    const data = r.pData === undefined || r.pData === null ? {} : asRecord(r.pData as KscValue);
    return { items: asRecords<T>(data.KLCSP_ITERATOR_ARRAY), eof: r.bEOF === true };
  }

  async release(iterator: string): Promise<void> {
    await this.session.call('GroupSyncIterator.ReleaseIterator', { szwIterator: iterator }, { idempotent: true });
  }

  /** Every item, page by page, releasing the iterator in `finally` (also when the consumer stops early or a read fails). */
  async *iterate<T extends KscRecord = KscRecord>(iterator: string, pageSize = 100): AsyncGenerator<T> {
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('pageSize must be a positive integer');
    try {
      for (;;) {
        const { items, eof } = await this.getNextItems<T>(iterator, pageSize);
        for (const item of items) yield item;
        if (eof || items.length === 0) break;
      }
    } finally {
      // The iterator expires by itself (lTimeoutSec); a failed release must not hide the real outcome.
      await this.release(iterator).catch(() => undefined);
    }
  }
}
