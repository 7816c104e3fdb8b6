/**
 * The KSC "Params" value encoding on the simulator side (ksc-openapi.md §1.2/§1.3). Input is
 * accepted in both the wrapped (`{"type":…,"value":…}`) and the plain form at every level; replies
 * are emitted in the canonical form: params containers plain at the top level and wrapped inside.
 */

/** A 64-bit integer that must go out as `{"type":"long"}` (JS numbers go out as plain ints). */
export class KscLong {
  constructor(readonly value: number) {}
}

/** A decoded request value: wrappers become Date (datetime), Buffer (binary) and plain objects (params). */
export type KscIn = null | boolean | number | string | Date | Buffer | KscIn[] | { [key: string]: KscIn };
export type KscArgs = Record<string, KscIn>;

const WRAPPER_TYPES = new Set([
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
]);

function isWrapper(v: object): v is { type: string; value: unknown } {
  const keys = Object.keys(v);
  return keys.length === 2 && 'type' in v && 'value' in v && typeof v.type === 'string' && WRAPPER_TYPES.has(v.type);
}

export function decodeValue(v: unknown): KscIn {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(decodeValue);
  if (typeof v === 'object') {
    if (isWrapper(v)) return decodeWrapped(v.type, v.value);
    return decodeParams(v as Record<string, unknown>);
  }
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  return null;
}

function decodeWrapped(type: string, value: unknown): KscIn {
  switch (type) {
    case 'params':
      return value && typeof value === 'object' && !Array.isArray(value)
        ? decodeParams(value as Record<string, unknown>)
        : {};
    case 'long':
    case 'int':
    case 'float':
    case 'double':
      return Number(value);
    case 'datetime':
      // An empty value means "unset" (§1.2).
      return typeof value === 'string' && value !== '' ? new Date(value) : null;
    case 'binary':
      return Buffer.from(typeof value === 'string' ? value : '', 'base64');
    default:
      return decodeValue(value);
  }
}

export function decodeParams(obj: Record<string, unknown>): Record<string, KscIn> {
  const out: Record<string, KscIn> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = decodeValue(v);
  return out;
}

export function kscDateTimeText(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Date) &&
    !Buffer.isBuffer(v) &&
    !(v instanceof KscLong)
  );
}

/** Nested value: everything typed is wrapped. */
export function encodeNested(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return { type: 'datetime', value: kscDateTimeText(v) };
  if (Buffer.isBuffer(v)) return { type: 'binary', value: v.toString('base64') };
  if (v instanceof KscLong) return { type: 'long', value: v.value };
  if (Array.isArray(v)) return v.map(encodeNested);
  if (isPlainObject(v)) return { type: 'params', value: encodeContainer(v) };
  if (typeof v === 'number' && !Number.isInteger(v)) return { type: 'double', value: v };
  return v;
}

function encodeContainer(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // NULL-valued fields are omitted, as the reference allows (§4.1).
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null) out[k] = encodeNested(v);
  return out;
}

/**
 * A reply: each top-level key (PxgRetVal and out-parameters) holds a plain container or array.
 * ASSUMPTION (ksc-openapi.md §1.3, §3.8): typed scalars (binary, long, datetime) at the top level
 * are wrapped like the ProtectUtf16StringGlobally example, unless `wrapTopLevelScalars` is off.
 */
export function encodeReply(reply: Record<string, unknown>, wrapTopLevelScalars: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(reply)) {
    if (v === undefined) continue;
    if (isPlainObject(v)) out[k] = encodeContainer(v);
    else if (wrapTopLevelScalars || Array.isArray(v)) out[k] = encodeNested(v);
    else out[k] = plainScalar(v);
  }
  return out;
}

function plainScalar(v: unknown): unknown {
  if (v instanceof Date) return kscDateTimeText(v);
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v instanceof KscLong) return v.value;
  return v;
}
