/**
 * A failure the domain understands. Every transport maps `code` (HTTP status, NATS ack/retry/
 * dead-letter) in one filter; services never throw transport-specific exceptions.
 */
export class DomainError<TCode extends string = string> extends Error {
  constructor(
    readonly code: TCode,
    message: string,
    readonly options: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'DomainError';
  }

  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}

/** Codes shared by the platform libraries; services add their own enums. */
export enum PlatformErrorCode {
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  InvalidInput = 'INVALID_INPUT',
  InvalidState = 'INVALID_STATE',
  Unavailable = 'UNAVAILABLE',
  /** The caller is known but may not do this (a missing permission, outside its site scope). */
  Forbidden = 'FORBIDDEN',
}
