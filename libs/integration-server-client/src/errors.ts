import type { IsTask } from './model';

const CODE = /\b((?:VIRMT|KSC)_[A-Za-z]+)\b/;

/**
 * An error answer of the Integration Server: HTTP status plus the symbolic `VIRMT_*` / `KSC_*`
 * code when one can be found anywhere in the body (the body shape is undocumented, §1.6).
 * Unknown codes are surfaced verbatim.
 */
export class IntegrationServerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly operation: string,
  ) {
    super(`${operation}: HTTP ${status}${code ? ` ${code}` : ''}: ${message}`);
    this.name = 'IntegrationServerError';
  }

  /** 429 and 5xx may succeed later; any other 4xx will not. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }

  static fromResponse(status: number, body: string, operation: string): IntegrationServerError {
    const code = CODE.exec(body)?.[1];
    // Only the vendor's <message>, never the raw body: a server may echo the request (with the
    // Base64 admin password) into an error answer. Callers still redact (see @tpo/vendor-failures).
    const message = (/<message>([\s\S]*?)<\/message>/.exec(body)?.[1] ?? '').replace(/\s+/g, ' ').trim().slice(0, 500);
    if (status === 401 || status === 403)
      return new IntegrationServerAuthError(status, code, message || 'access denied', operation);
    return new IntegrationServerError(status, code, message || 'no details', operation);
  }
}

/** 401/403: wrong or missing `multitenancy` credentials (both treated alike, §1.2). */
export class IntegrationServerAuthError extends IntegrationServerError {
  override name = 'IntegrationServerAuthError';
}

/** An async task that ended `Failed` or `Canceled`; `code` is the task's error code. */
export class IsTaskFailedError extends Error {
  constructor(readonly task: IsTask) {
    super(
      `task ${task.id} (${task.type ?? 'unknown type'}) ended ${task.state}${task.error?.code ? ` with ${task.error.code}` : ''}: ${task.error?.message ?? 'no details'}`,
    );
    this.name = 'IsTaskFailedError';
  }

  get code(): string | undefined {
    return this.task.error?.code;
  }
}

export class IsTaskTimeoutError extends Error {
  constructor(
    readonly taskId: string,
    readonly lastSeen: IsTask | undefined,
    deadlineMs: number,
  ) {
    super(`task ${taskId} still ${lastSeen?.state ?? 'unknown'} after ${deadlineMs} ms`);
    this.name = 'IsTaskTimeoutError';
  }
}

/** The answer did not have the documented (or tolerated) shape. */
export class IntegrationServerProtocolError extends Error {
  override name = 'IntegrationServerProtocolError';
}
