import { randomUUID } from 'node:crypto';
import { HttpStatusError, ResilientHttp, ResilientHttpOptions } from '@tpo/kaspersky-http';
import type { Logger } from 'pino';
import { decodeReply, encodeArgs, KscValue } from './ksc-codec';
import { KscAuthError, KscHttpError, KscProtocolError, methodErrorFrom, methodErrorIn } from './errors';
import { JsonValue, parseKscJson, stringifyKscJson } from './ksc-json';
import { KscSession, KscSessionHost } from './ksc-session';
import { isIdempotentMethod, METHOD_NAME } from './method-names';

export interface KscCredentials {
  user: string;
  password: string;
  /** ASSUMPTION (ksc-openapi.md §2.1 / Q9): sent plain like the official client (one third-party client base64-encodes it). */
  domain?: string;
  /** KSC internal account (`internal="1"`, the default) or an OS/AD account. */
  internal?: boolean;
}

export interface KscClientOptions extends Omit<ResilientHttpOptions, 'name' | 'baseUrl' | 'logger'> {
  /** `https://<KSC>:13299` */
  baseUrl: string;
  /** Default account for sessions (the provider's main-server account). */
  credentials: KscCredentials;
  logger?: Logger;
}

export type KscReply = Record<string, KscValue>;

export interface KscCallOptions {
  session?: KscSession;
  /** Overrides the read-only guess from the method name (decides retries and re-login). */
  idempotent?: boolean;
  signal?: AbortSignal;
  /** Decode long/float/double/date as KscTyped (for records that will be sent back). */
  keepTypes?: boolean;
}

export interface KscInvokeOptions {
  token?: string;
  idempotent: boolean;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  login?: boolean;
  keepTypes?: boolean;
}

/** `KSCBasic user="<b64>", pass="<b64>", [domain="<plain>",] internal="1"` (§2.1). */
export function kscBasicAuthorization(c: KscCredentials): string {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const domain = c.domain ? `, domain="${c.domain}"` : '';
  return `KSCBasic user="${b64(c.user)}", pass="${b64(c.password)}"${domain}, internal="${c.internal === false ? '0' : '1'}"`;
}

/**
 * Client of the KSC Open API (shared/reference/ksc-openapi.md): `POST /api/v1.0/<Class>.<Method>`
 * with typed JSON values, token sessions (`Session.StartSession` + `X-KSC-Session`), vAS selection
 * by `X-KSC-VServer`, and PxgError mapping. Read-only methods are retried on transient failures;
 * state-changing ones only where the server cannot have acted. Never logs passwords or bodies.
 */
/**
 * A request id `<16 hex>_<16 hex>` from a v4 UUID's hex digits: `randomUUID` draws from a pooled
 * buffer, where two `randomBytes(8)` per call asked the system's generator twice per KSC call
 * (~5% of agent-install-service's CPU under the onboarding bench, issue 11).
 */
export function kscRequestId(): string {
  // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: the 32 hex digits without the dashes, cut after 16.
  const u = randomUUID();
  return `${u.slice(0, 8)}${u.slice(9, 13)}${u.slice(14, 18)}_${u.slice(19, 23)}${u.slice(24)}`;
}

export class KscClient implements KscSessionHost {
  private readonly http: ResilientHttp;

  constructor(private readonly options: KscClientOptions) {
    // One keep-alive connection by default, like the official client (§1.1: no pipelining; a server
    // handles one request per connection at a time). Raise `connections` for parallel sessions.
    this.http = new ResilientHttp({ connections: 1, ...options, name: 'ksc', logger: options.logger });
  }

  get logger(): Logger | undefined {
    return this.options.logger;
  }

  /** Opens a token session on the main server or, with `vserver` (its KLVSRV_DN), inside that vAS. */
  async startSession(
    opts: { vserver?: string; credentials?: KscCredentials; signal?: AbortSignal } = {},
  ): Promise<KscSession> {
    const credentials = opts.credentials ?? this.options.credentials;
    const token = await this.login(opts.vserver, credentials, opts.signal);
    return new KscSession(this, token, opts.vserver, credentials);
  }

  /** One call; with a session it goes through the session (re-login on expiry for idempotent calls). */
  async call<T = KscReply>(method: string, args: Record<string, unknown> = {}, opts: KscCallOptions = {}): Promise<T> {
    if (opts.session) return opts.session.call<T>(method, args, opts);
    return (await this.invoke(method, args, {
      idempotent: opts.idempotent ?? isIdempotentMethod(method),
      signal: opts.signal,
      keepTypes: opts.keepTypes,
    })) as T;
  }

  /** Session.StartSession with the given account; returns the token. A refused login is never retried. */
  async login(vserver: string | undefined, credentials: KscCredentials, signal?: AbortSignal): Promise<string> {
    const headers: Record<string, string> = { Authorization: kscBasicAuthorization(credentials) };
    if (vserver !== undefined && vserver !== '')
      headers['X-KSC-VServer'] = Buffer.from(vserver, 'utf8').toString('base64');
    const reply = await this.invoke('Session.StartSession', {}, { idempotent: false, signal, headers, login: true });
    const token = reply.PxgRetVal;
    if (typeof token !== 'string' || token === '')
      throw new KscProtocolError('Session.StartSession: no session token in the answer');
    return token;
  }

  async invoke(method: string, args: Record<string, unknown>, opts: KscInvokeOptions): Promise<KscReply> {
    if (!METHOD_NAME.test(method)) throw new TypeError(`not a KSC method name: ${method}`);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      // ASSUMPTION (ksc-openapi.md §8.1): request-id format `<16 hex>_<16 hex>` as one third-party client sends.
      'X-KSC-RequestId': kscRequestId(),
      ...opts.headers,
    };
    if (opts.token) headers['X-KSC-Session'] = opts.token;
    let body: string;
    try {
      const res = await this.http.request({
        method: 'POST',
        path: `/api/v1.0/${method}`,
        headers,
        body: stringifyKscJson(encodeArgs(args)),
        retry: opts.idempotent ? 'idempotent' : 'unsafe',
        signal: opts.signal,
        operation: method,
      });
      body = res.body;
    } catch (e) {
      if (e instanceof HttpStatusError) throw this.statusError(e, method, opts.login === true);
      throw e;
    }
    let parsed: JsonValue;
    try {
      parsed = body.trim() === '' ? {} : parseKscJson(body);
    } catch {
      throw new KscProtocolError(`${method}: the answer is not JSON`);
    }
    // A PxgError in a 2xx body is still the method's failure (§1.4); the body is parsed once.
    const pxg = methodErrorIn(parsed, method, 200);
    if (pxg) throw pxg;
    return decodeReply(parsed, { keepTypes: opts.keepTypes });
  }

  private statusError(e: HttpStatusError, method: string, login: boolean): Error {
    // A PxgError body wins whatever the status (§1.4, Q1).
    const pxg = methodErrorFrom(e.body, method, e.status);
    if (pxg) return pxg;
    if (e.status === 401 || (login && e.status === 403)) {
      const detail = e.body && e.body.length < 200 ? ` (${e.body.trim()})` : '';
      return login
        ? new KscAuthError(
            e.status,
            'bad_credentials',
            `KSC refused the login${detail}; not retrying to avoid an account lockout`,
          )
        : new KscAuthError(e.status, 'not_authenticated', `${method}: KSC requires a session${detail}`);
    }
    if (e.status === 403)
      return new KscAuthError(403, 'session_ended', `${method}: the KSC session has ended or expired`);
    return new KscHttpError(e.status, e.body, method);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
