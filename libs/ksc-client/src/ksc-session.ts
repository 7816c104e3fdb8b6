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
 * the KscAuthError (a lost session also loses its async actions, §2.2). A refused re-login is
 * never attempted again on this session. Do not share one session between concurrent workflows
 * that poll async actions (§8.1).
 */
export class KscSession {
  private ended = false;
  private reloginRefused = false;
  private pendingLogin?: Promise<void>;

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

  async call<T = KscReply>(
    method: string,
    args: Record<string, unknown> = {},
    opts: { idempotent?: boolean; signal?: AbortSignal; keepTypes?: boolean } = {},
  ): Promise<T> {
    const idempotent = opts.idempotent ?? isIdempotentMethod(method);
    const used = this.token;
    const invoke = (token: string) =>
      this.host.invoke(method, args, {
        token,
        idempotent,
        signal: opts.signal,
        keepTypes: opts.keepTypes,
      }) as Promise<T>;
    try {
      return await invoke(used);
    } catch (e) {
      if (
        !(e instanceof KscAuthError) ||
        e.reason === 'bad_credentials' ||
        !idempotent ||
        this.ended ||
        this.reloginRefused
      )
        throw e;
      await this.relogin(used, opts.signal);
      return await invoke(this.token);
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
