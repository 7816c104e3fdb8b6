import type { Logger } from 'pino';
import type { KscCredentials, KscInvokeOptions, KscReply } from './ksc-client';
import { KscAuthError } from './errors';
import { isIdempotentMethod } from './method-names';

/** What a session needs from its client (kept as an interface to avoid an import cycle). */
export interface KscSessionHost {
  readonly logger?: Logger;
  invoke(method: string, args: Record<string, unknown>, opts: KscInvokeOptions): Promise<KscReply>;
  login(vserver: string | undefined, credentials: KscCredentials, signal?: AbortSignal): Promise<string>;
}

/**
 * A `Session.StartSession` token bound to one server (main or a vAS, fixed for its lifetime, §2.4).
 * On 401/403 an idempotent call logs in again once and is repeated; state-changing calls surface
 * the KscAuthError (a lost session also loses its async actions, §2.2) — except the first calls of
 * a session just lent out by a `KscSessionPool`: the borrowing workflow has nothing on it yet, and
 * a 401/403 means the server did not run the call, so they log in again once and are repeated too.
 * A refused re-login is never attempted again on this session. Do not share one session between
 * concurrent workflows that poll async actions (§8.1).
 */
export class KscSession {
  private ended = false;
  private reloginRefused = false;
  private authFailed = false;
  private pendingLogin?: Promise<void>;
  /** Set by a pool: `idle` while the pool holds it (any call is a bug), `lent` while a workflow has it. */
  private poolState?: 'idle' | 'lent';
  /** Lent out and no call has succeeded since: nothing of the borrower's depends on the token yet. */
  private unproven = false;

  constructor(
    private readonly host: KscSessionHost,
    private token: string,
    /** KLVSRV_DN of the vAS, undefined for the main server. */
    readonly vserver: string | undefined,
    private readonly credentials: KscCredentials,
  ) {}

  get isEnded(): boolean {
    return this.ended;
  }

  /** Neither ended nor refused: a KscAuthError that reached a caller makes a session unfit for reuse. */
  get reusable(): boolean {
    return !this.ended && !this.reloginRefused && !this.authFailed;
  }

  /** @internal KscSessionPool: the session goes to one workflow. */
  markLent(): void {
    this.poolState = 'lent';
    this.unproven = true;
  }

  /** @internal KscSessionPool: the session is back in the pool (or being ended by it). */
  markReturned(): void {
    this.poolState = 'idle';
    this.unproven = false;
  }

  async call<T = KscReply>(
    method: string,
    args: Record<string, unknown> = {},
    opts: { idempotent?: boolean; signal?: AbortSignal; keepTypes?: boolean } = {},
  ): Promise<T> {
    if (this.poolState === 'idle')
      throw new Error(
        `KSC session used for ${method} after it was returned to its pool (sessions are lent to one workflow)`,
      );
    const idempotent = opts.idempotent ?? isIdempotentMethod(method);
    const used = this.token;
    const firstOfLease = this.unproven;
    const invoke = (token: string) =>
      this.host.invoke(method, args, {
        token,
        idempotent,
        signal: opts.signal,
        keepTypes: opts.keepTypes,
      }) as Promise<T>;
    try {
      const reply = await invoke(used);
      this.unproven = false;
      return reply;
    } catch (e) {
      if (!(e instanceof KscAuthError)) throw e;
      if (e.reason === 'bad_credentials' || !(idempotent || firstOfLease) || this.ended || this.reloginRefused) {
        this.authFailed = true;
        throw e;
      }
      try {
        await this.relogin(used, opts.signal);
        const reply = await invoke(this.token);
        this.unproven = false;
        return reply;
      } catch (again) {
        if (again instanceof KscAuthError) this.authFailed = true;
        throw again;
      }
    }
  }

  /** Concurrent callers that saw the same dead token share one login. */
  private async relogin(staleToken: string, signal?: AbortSignal): Promise<void> {
    if (this.token !== staleToken) return;
    this.pendingLogin ??= (async () => {
      this.host.logger?.info({ vserver: this.vserver ?? '(main)' }, 'KSC session no longer valid; starting a new one');
      try {
        this.token = await this.host.login(this.vserver, this.credentials, signal);
      } catch (e) {
        if (e instanceof KscAuthError) this.reloginRefused = true;
        throw e;
      } finally {
        this.pendingLogin = undefined;
      }
    })();
    await this.pendingLogin;
  }

  async ping(): Promise<void> {
    await this.call('Session.Ping', {}, { idempotent: true });
  }

  /** Session.EndSession; later calls on this object get 403 and are not re-logged in. */
  async endSession(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    try {
      await this.host.invoke('Session.EndSession', {}, { token: this.token, idempotent: false });
    } catch (e) {
      if (!(e instanceof KscAuthError)) throw e; // already gone is fine
    }
  }
}
