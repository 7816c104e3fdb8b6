import { isInteger, parse as losslessParse } from 'lossless-json';

/**
 * JSON for KSC bodies without losing 64-bit integers: `long` values beyond 2^53 are read as bigint
 * (ksc-openapi.md §8.1) and bigints are written as bare number literals.
 */

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

export class KscJsonError extends Error {
  override name = 'KscJsonError';
}

/** A number literal: an integer outside the safe range as bigint, anything else as number. */
function parseNumber(literal: string): number | bigint {
  const n = Number(literal);
  return isInteger(literal) && !Number.isSafeInteger(n) ? BigInt(literal) : n;
}

/** Parses JSON; integer literals outside the safe range become bigint. */
export function parseKscJson(text: string): JsonValue {
  // Fast path: without a 16+ digit run no literal can exceed 2^53.
  if (!/\d{16,}/.test(text)) return JSON.parse(text) as JsonValue;
  try {
    return losslessParse(text, null, parseNumber) as JsonValue;
  } catch (e) {
    throw new KscJsonError(e instanceof Error ? e.message : String(e));
  }
}

/** JSON.stringify that writes bigint as a bare integer literal. */
export function stringifyKscJson(value: unknown): string {
  // Almost no request holds a bigint: plain JSON.stringify (a replacer function takes V8 off its
  // fast path) and the marker pass only when it refuses one.
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
  }
  const marker = `__kscbig_${Math.random().toString(36).slice(2)}__`;
  const text =
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${marker}${v.toString()}` : v)) ?? 'null';
  return text.includes(marker) ? text.replace(new RegExp(`"${marker}(-?\\d+)"`, 'g'), '$1') : text;
}
