import { randomBytes } from 'node:crypto';
import { KscWireError } from './ksc-wire-error';

interface Iterator {
  id: string;
  sessionToken: string;
  items: Record<string, unknown>[];
  position: number;
  expiresAt: number;
}

/**
 * `GroupSyncIterator` result sets (ksc-openapi-addendum.md §3.2): `GetNextItems` hands out the next
 * items and advances (a read past the end gives none with `bEOF`), `ReleaseIterator` frees it; it
 * also ends when its lifetime (`lTimeoutSec`) runs out. ASSUMPTION, as for ChunkAccessor: an iterator
 * belongs to the session that made it; another session sees STDE_NOTFOUND.
 */
export class KscGroupSyncIterators {
  private readonly iterators = new Map<string, Iterator>();

  create(sessionToken: string, items: Record<string, unknown>[], lifetimeSeconds: number): string {
    this.prune();
    const id = `GSI-${randomBytes(12).toString('hex')}`;
    const life = lifetimeSeconds > 0 ? Math.min(lifetimeSeconds, 7200) : 900;
    this.iterators.set(id, { id, sessionToken, items, position: 0, expiresAt: Date.now() + life * 1000 });
    return id;
  }

  next(id: string, sessionToken: string, count: number): { items: Record<string, unknown>[]; eof: boolean } {
    const it = this.require(id, sessionToken);
    const items = it.items.slice(it.position, it.position + count);
    it.position += items.length;
    return { items, eof: it.position >= it.items.length };
  }

  release(id: string, sessionToken: string): void {
    this.require(id, sessionToken);
    this.iterators.delete(id);
  }

  private require(id: string, sessionToken: string): Iterator {
    const it = this.iterators.get(id);
    if (!it || it.sessionToken !== sessionToken || it.expiresAt <= Date.now()) {
      if (it && it.expiresAt <= Date.now()) this.iterators.delete(id);
      throw new KscWireError('STDE_NOTFOUND', `iterator "${id}" not found or expired`);
    }
    return it;
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, it] of this.iterators) if (it.expiresAt <= now) this.iterators.delete(k);
  }

  snapshot() {
    this.prune();
    return [...this.iterators.values()].map((it) => ({
      id: it.id,
      items: it.items.length,
      position: it.position,
      expiresAt: new Date(it.expiresAt),
    }));
  }

  clear(): void {
    this.iterators.clear();
  }
}
