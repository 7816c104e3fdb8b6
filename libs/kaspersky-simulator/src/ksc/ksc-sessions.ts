import { randomBytes } from 'node:crypto';

export interface SimSession {
  token: string;
  /** `provider` = the site's main-server account; otherwise the internal user's id. */
  principal: 'provider' | number;
  userName: string;
  vsId: number;
  style: 'token' | 'connection';
  created: Date;
  lastSeen: number;
}

/**
 * StartSession tokens (and connection-bound `/login` sessions). Ended, closed and idle-expired
 * sessions are forgotten, so any later use of their token gets 403 (ksc-openapi.md §2.3, §2.5).
 * ASSUMPTION (ksc-openapi.md §2.5 / Q2): an idle timeout exists (kscSessionIdleTimeoutSeconds);
 * any call, Ping included, resets it.
 */
export class KscSessions {
  private readonly sessions = new Map<string, SimSession>();

  constructor(private readonly idleTimeoutSeconds: () => number) {}

  start(principal: SimSession['principal'], userName: string, vsId: number, style: SimSession['style']): SimSession {
    const token = randomBytes(24).toString('base64');
    const s: SimSession = { token, principal, userName, vsId, style, created: new Date(), lastSeen: Date.now() };
    this.sessions.set(token, s);
    return s;
  }

  /** The live session for a token, touching its idle timer; undefined when unknown, ended or expired. */
  resolve(token: string): SimSession | undefined {
    const s = this.sessions.get(token);
    if (!s) return undefined;
    if (this.expired(s)) {
      this.sessions.delete(token);
      return undefined;
    }
    s.lastSeen = Date.now();
    return s;
  }

  end(token: string): void {
    this.sessions.delete(token);
  }

  /** Ends every session matching (CloseUserConnections, DelVServer). Returns how many. */
  endWhere(predicate: (s: SimSession) => boolean): number {
    let n = 0;
    for (const [k, s] of this.sessions) {
      if (predicate(s)) {
        this.sessions.delete(k);
        n++;
      }
    }
    return n;
  }

  private expired(s: SimSession): boolean {
    return Date.now() - s.lastSeen > this.idleTimeoutSeconds() * 1000;
  }

  snapshot() {
    for (const [k, s] of this.sessions) if (this.expired(s)) this.sessions.delete(k);
    // Tokens are credentials: only a prefix goes into state dumps.
    return [...this.sessions.values()].map((s) => ({
      token: `${s.token.slice(0, 6)}…`,
      user: s.userName,
      vsId: s.vsId,
      style: s.style,
      created: s.created,
      idleMs: Date.now() - s.lastSeen,
    }));
  }

  clear(): void {
    this.sessions.clear();
  }
}
