import { decodeValue, KscTyped, KscValue } from './ksc-codec';
import { JsonValue, parseKscJson } from './ksc-json';

export class KscError extends Error {}

/** A non-2xx answer without a PxgError body (5xx, 404, …), after retries where allowed. */
export class KscHttpError extends KscError {
  /** The raw answer; not enumerable, so error serializers (logs) never copy it: it may echo a secret. */
  declare readonly body: string;

  constructor(
    readonly status: number,
    body: string,
    readonly method?: string,
  ) {
    super(`KSC ${method ?? 'call'} failed with HTTP ${status}`);
    this.name = 'KscHttpError';
    Object.defineProperty(this, 'body', { value: body, enumerable: false });
  }
}

/** A method-level error: `{"PxgError": {code, module, message, subcode, locdata}}`, whatever the HTTP status (§1.4). */
export class KscMethodError extends KscError {
  constructor(
    readonly code: number,
    readonly module: string,
    message: string,
    readonly subcode = 0,
    readonly locMessage?: string,
    readonly method?: string,
    readonly httpStatus = 200,
  ) {
    super(`${method ? `${method}: ` : ''}${module} error ${code}${subcode ? `/${subcode}` : ''}: ${message}`);
    this.name = 'KscMethodError';
  }

  /** The server's own text, without the prefix this class adds. */
  get serverMessage(): string {
    return this.message.replace(/^.*?error \d+(?:\/\d+)?: /, '');
  }
}

/** An asynchronous action finalized without success; details as the server gave them (§3.5). */
export class KscAsyncActionError extends KscError {
  constructor(
    readonly stateCode: number,
    readonly stateData: Record<string, KscValue | undefined>,
    readonly actionGuid?: string,
  ) {
    const info = stateData.KLBLAG_ERROR_INFO as Record<string, KscValue> | undefined;
    const text = (stateData.GNRL_EA_DESCRIPTION ?? info?.KLBLAG_ERROR_MSG ?? 'no description') as string;
    super(`KSC asynchronous action ${actionGuid ?? ''} failed (state ${stateCode}): ${text}`.replace('  ', ' '));
    this.name = 'KscAsyncActionError';
  }

  get errorCode(): number | undefined {
    const c = (this.stateData.KLBLAG_ERROR_INFO as Record<string, KscValue> | undefined)?.KLBLAG_ERROR_CODE;
    return typeof c === 'number' ? c : undefined;
  }

  get errorModule(): string | undefined {
    const m = (this.stateData.KLBLAG_ERROR_INFO as Record<string, KscValue> | undefined)?.KLBLAG_ERROR_MODULE;
    return typeof m === 'string' ? m : undefined;
  }
}

/** The deadline passed while an action or task was still running; the server-side work may still finish. */
export class KscTimeoutError extends KscError {
  override name = 'KscTimeoutError';
}

/**
 * 401 / 403 from KSC. `bad_credentials`: the login itself was refused (never retried: KSC locks
 * accounts after repeated failures); `not_authenticated`: a call without a usable session;
 * `session_ended`: ended, closed or expired session.
 */
export class KscAuthError extends KscError {
  constructor(
    readonly status: number,
    readonly reason: 'bad_credentials' | 'not_authenticated' | 'session_ended',
    message: string,
  ) {
    super(message);
    this.name = 'KscAuthError';
  }
}

/** A 2xx answer the client cannot read (not JSON, or a documented output missing). */
export class KscProtocolError extends KscError {
  override name = 'KscProtocolError';
}

/** The PxgError in a body, if it has one. */
export function methodErrorFrom(body: string, method: string | undefined, status: number): KscMethodError | undefined {
  let parsed: JsonValue;
  try {
    parsed = parseKscJson(body);
  } catch {
    return undefined;
  }
  return methodErrorIn(parsed, method, status);
}

/** The PxgError in an already parsed body, if it has one (a 2xx answer is parsed once, then checked). */
export function methodErrorIn(
  parsed: JsonValue,
  method: string | undefined,
  status: number,
): KscMethodError | undefined {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !('PxgError' in parsed)) return undefined;
  const e = decodeValue(parsed.PxgError) as Record<string, KscValue> | null;
  if (!e || typeof e !== 'object') return undefined;
  const code = typeof e.code === 'number' ? e.code : Number(e.code ?? -1);
  return new KscMethodError(
    code,
    typeof e.module === 'string' ? e.module : '',
    typeof e.message === 'string' ? e.message : '',
    typeof e.subcode === 'number' ? e.subcode : 0,
    localizedMessage(e.locdata),
    method,
    status,
  );
}

/** `locdata.format` with %1…%n replaced from `args` (§1.4). */
function localizedMessage(locdata: KscValue | undefined): string | undefined {
  if (
    !locdata ||
    typeof locdata !== 'object' ||
    Array.isArray(locdata) ||
    locdata instanceof Date ||
    Buffer.isBuffer(locdata) ||
    locdata instanceof KscTyped
  )
    return undefined;
  const format = locdata.format;
  if (typeof format !== 'string') return undefined;
  const args = Array.isArray(locdata.args) ? locdata.args : [];
  return format.replace(/%(\d+)/g, (all, n: string) =>
    args[Number(n) - 1] === undefined ? all : String(args[Number(n) - 1]),
  );
}
