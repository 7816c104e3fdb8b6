import { randomBytes } from 'node:crypto';
import { KscWireError } from './ksc-wire-error';

/** ksc-openapi.md §4.1: result sets live at most 7200 s. */
export const MAX_RESULT_SET_LIFETIME_S = 7200;

export type ResultSetKind = 'chunk' | 'events' | 'host-status';

interface ResultSet {
  id: string;
  kind: ResultSetKind;
  sessionToken: string;
  items: Record<string, unknown>[];
  created: Date;
  expiresAt: number;
}

/**
 * Server-side result sets: ChunkAccessor (Find*) and event iterators (GetTaskHistory). Results are
 * snapshotted when the search runs (§4.4) and vanish on Release or when lMaxLifeTime runs out.
 */
export class KscResultSets {
  private readonly sets = new Map<string, ResultSet>();

  create(kind: ResultSetKind, sessionToken: string, items: Record<string, unknown>[], lifetimeSeconds: number): string {
    this.prune();
    const life = lifetimeSeconds > 0 ? Math.min(lifetimeSeconds, MAX_RESULT_SET_LIFETIME_S) : MAX_RESULT_SET_LIFETIME_S;
    const id = randomBytes(16).toString('base64url');
    this.sets.set(id, { id, kind, sessionToken, items, created: new Date(), expiresAt: Date.now() + life * 1000 });
    return id;
  }

  /**
   * ASSUMPTION (ksc-openapi.md §4.1): a result set belongs to the session that created it; other
   * sessions see STDE_NOTFOUND, as for an unknown id.
   */
  get(kind: ResultSetKind, id: string, sessionToken: string): Record<string, unknown>[] {
    const s = this.sets.get(id);
    if (!s || s.kind !== kind || s.sessionToken !== sessionToken || s.expiresAt <= Date.now()) {
      if (s && s.expiresAt <= Date.now()) this.sets.delete(id);
      throw new KscWireError(
        'STDE_NOTFOUND',
        `${kind === 'chunk' ? 'accessor' : 'iterator'} "${id}" not found or expired`,
      );
    }
    return s.items;
  }

  release(kind: ResultSetKind, id: string, sessionToken: string): void {
    this.get(kind, id, sessionToken);
    this.sets.delete(id);
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, s] of this.sets) if (s.expiresAt <= now) this.sets.delete(k);
  }

  snapshot() {
    this.prune();
    return [...this.sets.values()].map((s) => ({
      id: s.id,
      kind: s.kind,
      items: s.items.length,
      created: s.created,
      expiresAt: new Date(s.expiresAt),
    }));
  }

  clear(): void {
    this.sets.clear();
  }
}
