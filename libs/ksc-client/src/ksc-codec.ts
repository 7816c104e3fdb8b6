import { JsonValue } from './ksc-json';

/**
 * KSC "Params" values (ksc-openapi.md §1.2): ints, strings, bools and arrays are plain JSON;
 * long, datetime, date, binary, float/double and nested params travel as `{"type", "value"}`.
 * Method arguments that are containers go out plain, nested ones wrapped (the official encoder).
 */

export type KscWireType = 'long' | 'datetime' | 'date' | 'binary' | 'params' | 'double' | 'float';

/** An explicitly typed value; build it with the `ksc*` helpers below. */
export class KscTyped {
  constructor(
    readonly type: KscWireType,
    readonly value: unknown,
  ) {}
}

export function kscLong(n: number | bigint): KscTyped {
  if (typeof n === 'number' && !Number.isSafeInteger(n))
    throw new RangeError(`kscLong needs a safe integer or a bigint, got ${n}`);
  return new KscTyped('long', n);
}

/** UTC with seconds precision and a `Z` suffix; null/undefined = the empty "unset" value. */
export function kscDateTime(d: Date | string | null | undefined): KscTyped {
  if (d === null || d === undefined) return new KscTyped('datetime', '');
  const date = typeof d === 'string' ? new Date(d) : d;
  if (Number.isNaN(date.getTime())) throw new RangeError(`kscDateTime: invalid date ${String(d)}`);
  return new KscTyped('datetime', date.toISOString().replace(/\.\d{3}Z$/, 'Z'));
}

export function kscDate(d: Date | string): KscTyped {
  const text = typeof d === 'string' ? d : d.toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new RangeError(`kscDate: expected YYYY-MM-DD, got ${text}`);
  return new KscTyped('date', text);
}

/** Bytes, or text that already is base64 (e.g. a blob returned by the server). */
export function kscBinary(data: Uint8Array | string): KscTyped {
  return new KscTyped('binary', typeof data === 'string' ? data : Buffer.from(data).toString('base64'));
}

export function kscParams(obj: Record<string, unknown>): KscTyped {
  return new KscTyped('params', obj);
}

export function kscDouble(n: number): KscTyped {
  return new KscTyped('double', n);
}

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function encodeContainer(obj: Record<string, unknown>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  // KlAkOAPI does not allow null inside params (§1.2): such keys are left out.
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null) out[k] = encodeNested(v);
  return out;
}

/**
 * A value inside a container or array: Date → datetime, bytes → binary, bigint and integers
 * outside int32 → long, fractions → double, plain objects → params.
 */
export function encodeNested(v: unknown): JsonValue {
  if (v === undefined || v === null) return null;
  if (v instanceof KscTyped) {
    if (v.type === 'params') return { type: 'params', value: encodeContainer(v.value as Record<string, unknown>) };
    return { type: v.type, value: v.value as JsonValue };
  }
  if (v instanceof Date) return encodeNested(kscDateTime(v));
  if (v instanceof Uint8Array) return encodeNested(kscBinary(v));
  if (typeof v === 'bigint') return { type: 'long', value: v };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`cannot encode ${v} for KSC`);
    if (!Number.isInteger(v)) return { type: 'double', value: v };
    return v < INT32_MIN || v > INT32_MAX ? { type: 'long', value: v } : v;
  }
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(encodeNested);
  if (isPlainObject(v)) return { type: 'params', value: encodeContainer(v) };
  throw new TypeError(`cannot encode a ${typeof v} for KSC`);
}

/** Method arguments: top-level containers plain, everything below wrapped. Undefined arguments are omitted. */
export function encodeArgs(args: Record<string, unknown>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(args)) {
    if (v === undefined) continue;
    if (v instanceof KscTyped && v.type === 'params') out[k] = encodeContainer(v.value as Record<string, unknown>);
    else if (isPlainObject(v)) out[k] = encodeContainer(v);
    else out[k] = encodeNested(v);
  }
  return out;
}

/** A decoded KSC value: wrappers become number/bigint (long), Date (datetime), Buffer (binary) and objects (params). */
export type KscValue =
  null | boolean | number | bigint | string | Date | Buffer | KscTyped | KscValue[] | { [key: string]: KscValue };

export interface DecodeOptions {
  /**
   * Keep long/float/double/date values as KscTyped so that a record read back (e.g. Tasks.GetTaskData
   * as a template) is re-sent with the same wire types.
   */
  keepTypes?: boolean;
}

const KNOWN_TYPES = new Set([
  'params',
  'long',
  'int',
  'datetime',
  'date',
  'binary',
  'float',
  'double',
  'string',
  'bool',
  'boolean',
]);

function isWrapper(v: object): v is { type: string; value: JsonValue } {
  const keys = Object.keys(v);
  return keys.length === 2 && 'type' in v && 'value' in v && typeof v.type === 'string' && KNOWN_TYPES.has(v.type);
}

/** Unwraps typed values at any depth; tolerant of plain forms where a wrapper was expected. */
export function decodeValue(v: JsonValue | undefined, opts: DecodeOptions = {}): KscValue {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map((x) => decodeValue(x, opts));
  if (typeof v === 'object') {
    if (isWrapper(v)) return decodeWrapped(v.type, v.value, opts);
    const out: Record<string, KscValue> = {};
    for (const [k, x] of Object.entries(v)) out[k] = decodeValue(x, opts);
    return out;
  }
  return v;
}

function decodeWrapped(type: string, value: JsonValue, opts: DecodeOptions): KscValue {
  if (opts.keepTypes && (type === 'long' || type === 'float' || type === 'double' || type === 'date')) {
    const inner = decodeWrapped(type, value, {});
    return inner === null ? null : new KscTyped(type as KscWireType, inner);
  }
  switch (type) {
    case 'long':
    case 'int': {
      if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
      if (typeof value === 'string' && /^-?\d+$/.test(value)) {
        const n = Number(value);
        return Number.isSafeInteger(n) ? n : BigInt(value);
      }
      return typeof value === 'number' ? value : null;
    }
    case 'float':
    case 'double':
      return typeof value === 'number' ? value : Number(value);
    case 'datetime':
      // Empty value = unset (§1.2); unparsable text is kept as is rather than failing the call.
      if (value === '' || value === null) return null;
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value) : decodeValue(value);
    case 'binary':
      return typeof value === 'string' ? Buffer.from(value, 'base64') : null;
    case 'params':
      return value !== null && typeof value === 'object' && !Array.isArray(value)
        ? (decodeValue(value, opts) as Record<string, KscValue>)
        : {};
    default:
      return decodeValue(value, opts);
  }
}

/** A decoded reply (`PxgRetVal` plus out-parameters by name). */
export function decodeReply(body: JsonValue, opts: DecodeOptions = {}): Record<string, KscValue> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  return decodeValue(body, opts) as Record<string, KscValue>;
}
