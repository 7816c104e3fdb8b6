import type { Logger } from 'pino';
import type { KscCredentials } from './ksc-client';
import type { KscSession } from './ksc-session';

/** What the pool needs from a KscClient. */
export interface KscSessionSource {
  startSession(opts?: { vserver?: string; credentials?: KscCredentials; signal?: AbortSignal }): Promise<KscSession>;
}

export interface KscSessionPoolOptions {
  /**
   * A session idle longer than this is never lent again: it is ended and replaced. ASSUMPTION
   * (ksc-openapi.md §2.5, §7, Q2): the server's idle timeout is not documented; the simulator
   * assumes 30 minutes, so the default (5 minutes) stays well below it. Configurable
   * (KSC_SESSION_IDLE_MAX_MS) for a server with a shorter timeout.
   */
  idleMaxMs?: number;
  /** Idle sessions kept for reuse; a session returned beyond this is ended (KSC_SESSION_POOL_IDLE). */
  maxIdle?: number;
  logger?: Logger;
  /** Clock (tests). */
  now?: () => number;
}

export const KSC_SESSION_IDLE_MAX_MS_DEFAULT = 300_000;
export const KSC_SESSION_POOL_IDLE_DEFAULT = 16;

/**
 * Main-server token sessions of one KSC, reused across workflows instead of a StartSession and an
 * EndSession per job. A session is lent to one workflow at a time (async actions must be polled on
 * the session that started them and a session must not serve two workflows that poll, §3.5, §8.1)
 * and comes back when the workflow is done. Returned sessions that met a KscAuthError, or whose
 * workflow threw, are ended rather than kept (their state on the server is unknown: an action left
 * unpolled, a dead token); surplus ones beyond `maxIdle`, and ones idle beyond `idleMaxMs`, are
 * ended too. A session that went stale anyway (the server's timeout is an assumption) is logged in
 * again on its first call, whatever that call is (KscSession). Sessions inside a vAS belong to one
 * tenant and are not pooled.
 */
export class KscSessionPool {
  private readonly idle: { session: KscSession; since: number }[] = []; // oldest first
  private readonly lent = new Set<KscSession>();
  private readonly ending = new Set<Promise<void>>();
  private readonly idleMaxMs: number;
  private readonly maxIdle: number;
  private readonly now: () => number;
  private sweeper?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly source: KscSessionSource,
    private readonly options: KscSessionPoolOptions = {},
  ) {
    this.idleMaxMs = options.idleMaxMs ?? KSC_SESSION_IDLE_MAX_MS_DEFAULT;
    this.maxIdle = options.maxIdle ?? KSC_SESSION_POOL_IDLE_DEFAULT;
    this.now = options.now ?? Date.now;
  }

  /** Sessions held idle and lent out (metrics, tests). */
  get size(): { idle: number; lent: number } {
    return { idle: this.idle.length, lent: this.lent.size };
  }

  /**
   * Runs one workflow on a main-server session of its own. The session goes back to the pool when
   * `work` settles; if `work` threw, it is ended instead.
   */
  async use<T>(work: (session: KscSession) => Promise<T>, opts: { signal?: AbortSignal } = {}): Promise<T> {
    const session = await this.acquire(opts.signal);
    let ok = false;
    try {
      const result = await work(session);
      ok = true;
      return result;
    } finally {
      this.release(session, { healthy: ok });
    }
  }

  /** A session for one workflow alone: the most recently returned one still young enough, else a new login. */
  async acquire(signal?: AbortSignal): Promise<KscSession> {
    if (this.closed) throw new Error('the KSC session pool is closed');
    this.endExpired();
    let session = this.idle.pop()?.session;
    if (!session) {
      session = await this.source.startSession({ signal });
      if (this.closed) {
        this.end(session, 'pool closed');
        throw new Error('the KSC session pool is closed');
      }
    }
    session.markLent();
    this.lent.add(session);
    return session;
  }

  /** Back from its workflow. `healthy: false` (the workflow failed) ends it. Never throws. */
  release(session: KscSession, opts: { healthy?: boolean } = {}): void {
    if (!this.lent.delete(session)) return; // not lent by this pool, or returned already
    session.markReturned();
    if (this.closed) return this.end(session, 'pool closed');
    if (opts.healthy === false || !session.reusable) return this.end(session, 'workflow failed or session refused');
    if (this.idle.length >= this.maxIdle) return this.end(session, 'surplus');
    this.idle.push({ session, since: this.now() });
    this.armSweeper();
  }

  /** Ends every idle session, and each lent one as it comes back; waits for the EndSessions under way. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const { session } of this.idle.splice(0)) this.end(session, 'pool closed');
    await Promise.allSettled([...this.ending]);
  }

  /** Ends sessions idle beyond idleMaxMs (called before lending, and by a timer while any are idle). */
  endExpired(): void {
    const cutoff = this.now() - this.idleMaxMs;
    while (this.idle.length > 0 && this.idle[0].since <= cutoff) this.end(this.idle.shift()!.session, 'idle too long');
    if (this.idle.length === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private armSweeper(): void {
    if (this.sweeper) return;
    // Only while sessions are idle, so an idle service does not wake up for nothing.
    this.sweeper = setInterval(() => this.endExpired(), Math.max(1000, Math.floor(this.idleMaxMs / 2)));
    this.sweeper.unref();
  }

  private end(session: KscSession, why: string): void {
    session.markReturned();
    if (!session.reusable) return; // its token is dead or refused already: nothing to end
    this.options.logger?.debug({ why }, 'ending a pooled KSC session');
    const p = session
      .endSession()
      .catch((e: unknown) => this.options.logger?.debug({ err: e }, 'Session.EndSession of a pooled session failed'))
      .finally(() => this.ending.delete(p));
    this.ending.add(p);
  }
}
