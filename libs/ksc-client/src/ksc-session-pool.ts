import { KscSession } from './ksc-session';

/** What the pool needs from a client: opening a main-server session. */
export interface KscSessionOpener {
  startSession(opts?: { signal?: AbortSignal }): Promise<KscSession>;
}

export interface KscSessionPoolOptions {
  /** Idle main-server sessions kept for reuse (default 8). */
  maxIdle?: number;
  /** An idle session older than this is ended instead of reused (default 60 s, far below any server idle timeout). */
  idleMs?: number;
}

/**
 * Main-server sessions shared across jobs of one site, one job at a time: a job leases a session,
 * uses it exclusively (async actions are checked on the session that started them, §8.1) and hands
 * it back, so consecutive steps do not each pay Session.StartSession + Session.EndSession. A
 * session whose work failed is ended, never handed to the next job; an idle one expires.
 */
export class KscSessionPool {
  private readonly idle: { session: KscSession; since: number }[] = [];
  private closed = false;

  constructor(
    private readonly opener: KscSessionOpener,
    private readonly options: KscSessionPoolOptions = {},
  ) {}

  /** Runs `work` on a leased main-server session; the session returns to the pool only if `work` succeeded. */
  async use<T>(work: (session: KscSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const session = await this.acquire(signal);
    let ok = false;
    try {
      const result = await work(session);
      ok = true;
      return result;
    } finally {
      this.release(session, ok);
    }
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** Ends every idle session (on shutdown or when the site's credentials change). */
  async close(): Promise<void> {
    this.closed = true;
    const all = this.idle.splice(0);
    await Promise.allSettled(all.map((e) => e.session.endSession()));
  }

  private async acquire(signal?: AbortSignal): Promise<KscSession> {
    const maxAge = this.options.idleMs ?? 60_000;
    for (let e = this.idle.pop(); e; e = this.idle.pop()) {
      if (!e.session.isEnded && Date.now() - e.since < maxAge) return e.session;
      void e.session.endSession().catch(() => undefined);
    }
    return this.opener.startSession({ signal });
  }

  private release(session: KscSession, healthy: boolean): void {
    if (healthy && !this.closed && !session.isEnded && this.idle.length < (this.options.maxIdle ?? 8)) {
      this.idle.push({ session, since: Date.now() });
      return;
    }
    void session.endSession().catch(() => undefined);
  }
}
