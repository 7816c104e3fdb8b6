import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  IBackoff,
  IPolicy,
  IRetryBackoffContext,
  retry,
  wrap,
} from 'cockatiel';
import { linkSignals, SpanKind, withSpan } from '@tpo/platform';
import type { Logger } from 'pino';
import { Agent, Dispatcher, errors as undiciErrors } from 'undici';
import { HttpStatusError, KasperskyTransportError, parseRetryAfter } from './errors';
import { AddressClass, AddressNotAllowedError } from './address-policy';
import { CertificatePinError, tlsConnector, TlsTrust } from './tls';

export interface ResilientHttpOptions {
  /** e.g. `https://is.example:7271` */
  baseUrl: string;
  /** Name in logs and errors (`integration-server`, `ksc`). */
  name: string;
  tls?: TlsTrust;
  /** Whole-request deadline, including reading the body. */
  timeoutMs?: number;
  /** Attempts for a transient failure, first one included. */
  maxAttempts?: number;
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Consecutive transient failures that open the circuit, and how long it stays open. */
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
  /** Largest accepted response body. */
  maxResponseBytes?: number;
  /** Connections kept per origin (KSC wants one request per connection at a time). */
  connections?: number;
  /**
   * SSRF policy re-checked at connect time on the resolved addresses (DNS rebinding): with it,
   * metadata/unspecified/multicast are always refused and loopback/link-local unless listed.
   */
  allowAddresses?: readonly AddressClass[];
  logger?: Logger;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * `idempotent` (default for GET): retried on network errors, 5xx and 429.
   * `unsafe` (state-changing POST/DELETE): retried only where the server cannot have acted —
   * 429, 503 and refused connections — because a lost answer could hide a completed action.
   */
  retry?: 'idempotent' | 'unsafe' | 'never';
  signal?: AbortSignal;
  /** Log label for the operation (never the body). */
  operation?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body as received (a byte range may end inside a UTF-8 character: decode only whole files). */
  bytes: Buffer;
}

type RetryContext = IRetryBackoffContext<unknown>;

/** Honour `Retry-After` when the server sent one (capped at 60 s), else the inner backoff. */
class RetryAfterBackoff implements IBackoff<RetryContext> {
  constructor(
    private readonly inner: { next(context: RetryContext): IBackoff<RetryContext> },
    readonly duration = 0,
  ) {}

  next(context: RetryContext): IBackoff<RetryContext> {
    const innerNext = this.inner.next(context);
    const error = 'error' in context.result ? context.result.error : undefined;
    const retryAfter = error instanceof HttpStatusError ? error.retryAfterMs : undefined;
    return new RetryAfterBackoff(
      innerNext,
      retryAfter === undefined ? innerNext.duration : Math.min(retryAfter, 60_000),
    );
  }
}

function isRetryable(error: Error, mode: HttpRequest['retry']): boolean {
  if (mode === 'never') return false;
  if (error instanceof HttpStatusError) {
    if (mode === 'unsafe') return error.status === 429 || error.status === 503;
    return error.retryable;
  }
  if (error instanceof KasperskyTransportError) {
    if (!error.retryable) return false;
    if (mode === 'unsafe') return (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED';
    return true;
  }
  return false;
}

/**
 * HTTP for Kaspersky clients: keep-alive, TLS trust, per-request deadline, retries with backoff and
 * jitter for transient failures only (never 4xx except 429), and a circuit breaker that stops
 * hammering a server that keeps failing. Logs method, path, status and time — never bodies.
 */
export class ResilientHttp {
  private readonly agent: Agent;
  private readonly breaker;
  private readonly backoff: RetryAfterBackoff;
  /** One policy per retry mode, built once: cockatiel policies keep no state between executions. */
  private readonly policies: Record<NonNullable<HttpRequest['retry']>, IPolicy>;

  constructor(private readonly options: ResilientHttpOptions) {
    if (options.tls?.insecure) {
      options.logger?.warn(
        { client: options.name, baseUrl: options.baseUrl },
        `TLS VERIFICATION IS OFF for ${options.name} (${options.baseUrl}): lab use only; configure a CA bundle or a certificate pin`,
      );
    }
    this.agent = new Agent({
      connect: tlsConnector(options.tls, options.allowAddresses ? new Set(options.allowAddresses) : undefined),
      connections: options.connections ?? 16,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs ?? 30_000,
      bodyTimeout: options.timeoutMs ?? 30_000,
    });
    this.breaker = circuitBreaker(
      handleWhen((e) => isRetryable(e, 'idempotent')),
      {
        halfOpenAfter: options.breakerHalfOpenAfterMs ?? 30_000,
        breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 10),
      },
    );
    this.backoff = new RetryAfterBackoff(
      new ExponentialBackoff({
        initialDelay: options.retryInitialDelayMs ?? 200,
        maxDelay: options.retryMaxDelayMs ?? 10_000,
      }),
    );
    const policy = (mode: NonNullable<HttpRequest['retry']>) =>
      wrap(
        retry(
          handleWhen((e) => isRetryable(e, mode)),
          { maxAttempts: Math.max(0, (options.maxAttempts ?? 4) - 1), backoff: this.backoff },
        ),
        this.breaker,
      );
    this.policies = { idempotent: policy('idempotent'), unsafe: policy('unsafe'), never: policy('never') };
  }

  get circuitState(): string {
    return String(this.breaker.state);
  }

  /** One CLIENT span per call (retries included) named after the vendor operation. */
  request(req: HttpRequest): Promise<HttpResponse> {
    const attributes = {
      'http.request.method': req.method,
      'url.path': req.path.split('?')[0],
      'server.address': this.options.baseUrl,
      'tpo.vendor': this.options.name,
    };
    return withSpan(
      `${this.options.name} ${req.operation ?? `${req.method} ${req.path.split('?')[0]}`}`,
      { kind: SpanKind.CLIENT, attributes },
      async (span) => {
        const res = await this.requestWithPolicy(req);
        span?.setAttribute('http.response.status_code', res.status);
        return res;
      },
    );
  }

  private async requestWithPolicy(req: HttpRequest): Promise<HttpResponse> {
    const policy = this.policies[req.retry ?? (req.method === 'GET' ? 'idempotent' : 'unsafe')];
    try {
      // Executed without a cancellation token, so the signal cockatiel passes never aborts (no
      // timeout policy here): only the caller's signal and the deadline end a call (`once`).
      return await policy.execute(() => this.once(req));
    } catch (e) {
      if (e instanceof BrokenCircuitError) {
        throw new KasperskyTransportError(
          `${this.options.name}: circuit open after repeated failures; not calling ${req.method} ${req.path}`,
          'circuit_open',
          {
            cause: e,
            method: req.method,
            path: req.path,
          },
        );
      }
      throw e;
    }
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    // Not AbortSignal.any: a long-lived caller signal would keep a reference for every call made
    // under it (linkSignals, docs/performance.md fix 9).
    const deadline = linkSignals([req.signal], timeoutMs);
    let res: Dispatcher.ResponseData;
    let bytes: Buffer;
    try {
      try {
        res = await this.agent.request({
          origin: this.options.baseUrl,
          path: req.path,
          method: req.method,
          headers: req.headers,
          body: req.body,
          signal: deadline.signal,
        });
      } catch (e) {
        throw this.transportError(e, req, timeoutMs);
      }
      try {
        bytes = await this.readBody(res, req);
      } catch (e) {
        throw e instanceof KasperskyTransportError ? e : this.transportError(e, req, timeoutMs);
      }
    } finally {
      deadline.dispose();
    }
    const body = bytes.toString('utf8');
    const ms = Math.round(performance.now() - started);
    this.options.logger?.debug(
      { client: this.options.name, op: req.operation, method: req.method, path: req.path, status: res.statusCode, ms },
      'kaspersky call',
    );
    if (res.statusCode >= 400) {
      throw new HttpStatusError(res.statusCode, body, parseRetryAfter(res.headers['retry-after']), {
        method: req.method,
        path: req.path,
      });
    }
    return { status: res.statusCode, headers: res.headers, body, bytes };
  }

  private async readBody(res: Dispatcher.ResponseData, req: HttpRequest): Promise<Buffer> {
    const max = this.options.maxResponseBytes ?? 10 * 1024 * 1024;
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > max) {
      res.body.destroy();
      throw new KasperskyTransportError(
        `${this.options.name}: response of ${declared} bytes exceeds ${max}`,
        'too_large',
        { method: req.method, path: req.path },
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > max) {
        res.body.destroy();
        throw new KasperskyTransportError(`${this.options.name}: response exceeds ${max} bytes`, 'too_large', {
          method: req.method,
          path: req.path,
        });
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private transportError(e: unknown, req: HttpRequest, timeoutMs: number): KasperskyTransportError {
    const where = { cause: e, method: req.method, path: req.path };
    const refused =
      e instanceof AddressNotAllowedError
        ? e
        : (e as { cause?: unknown })?.cause instanceof AddressNotAllowedError
          ? (e as { cause: AddressNotAllowedError }).cause
          : undefined;
    if (refused)
      return new KasperskyTransportError(`${this.options.name}: ${refused.message}`, 'address_refused', where);
    if (
      e instanceof CertificatePinError ||
      (e as NodeJS.ErrnoException)?.code?.startsWith?.('ERR_TLS') ||
      /certificate/i.test((e as Error)?.message ?? '')
    ) {
      return new KasperskyTransportError(
        `${this.options.name}: TLS verification failed: ${(e as Error).message}`,
        'tls',
        where,
      );
    }
    const name = (e as Error)?.name;
    if (
      name === 'TimeoutError' ||
      name === 'AbortError' ||
      e instanceof undiciErrors.HeadersTimeoutError ||
      e instanceof undiciErrors.BodyTimeoutError
    ) {
      return new KasperskyTransportError(
        `${this.options.name}: ${req.method} ${req.path} timed out after ${timeoutMs} ms`,
        'timeout',
        where,
      );
    }
    const cause = (e as { cause?: NodeJS.ErrnoException })?.cause ?? (e as NodeJS.ErrnoException);
    return new KasperskyTransportError(
      `${this.options.name}: ${req.method} ${req.path} failed: ${cause?.code ?? (e as Error)?.message}`,
      'network',
      {
        ...where,
        cause,
      },
    );
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
