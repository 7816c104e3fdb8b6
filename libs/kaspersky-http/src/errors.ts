/** A failure talking to a Kaspersky server, before any vendor-level error code is known. */
export class KasperskyTransportError extends Error {
  constructor(
    message: string,
    readonly kind: 'network' | 'timeout' | 'circuit_open' | 'too_large' | 'tls' | 'address_refused',
    readonly options: { cause?: unknown; method?: string; path?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'KasperskyTransportError';
  }

  /** Transport failures are transient, except a certificate mismatch, an oversized answer and an address the SSRF policy refuses. */
  get retryable(): boolean {
    return this.kind !== 'tls' && this.kind !== 'too_large' && this.kind !== 'address_refused';
  }
}

/** A response with an HTTP status that is an error (4xx/5xx), with whatever body came back. */
export class HttpStatusError extends Error {
  /** The raw answer; not enumerable, so error serializers (logs) never copy it: it may echo a secret. */
  declare readonly body: string;

  constructor(
    readonly status: number,
    body: string,
    readonly retryAfterMs: number | undefined,
    readonly options: { method?: string; path?: string } = {},
  ) {
    super(`HTTP ${status} from ${options.method ?? ''} ${options.path ?? ''}`.trim());
    this.name = 'HttpStatusError';
    Object.defineProperty(this, 'body', { value: body, enumerable: false });
  }

  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** Parses `Retry-After` (delta seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
