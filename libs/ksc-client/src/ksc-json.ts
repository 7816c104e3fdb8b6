/**
 * JSON for KSC bodies without losing 64-bit integers: `long` values beyond 2^53 are read as bigint
 * (ksc-openapi.md §8.1) and bigints are written as bare number literals.
 */

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

export class KscJsonError extends Error {
  override name = 'KscJsonError';
}

/** Parses JSON; integer literals outside the safe range become bigint. */
export function parseKscJson(text: string): JsonValue {
  // Fast path: without a 16+ digit run no literal can exceed 2^53.
  if (!/\d{16,}/.test(text)) return JSON.parse(text) as JsonValue;
  const p = new LosslessParser(text);
  const v = p.value();
  p.space();
  if (p.pos < text.length) throw new KscJsonError(`unexpected text at ${p.pos}`);
  return v;
}

class LosslessParser {
  pos = 0;
  constructor(private readonly s: string) {}

  space(): void {
    while (this.pos < this.s.length && ' \t\r\n'.includes(this.s[this.pos])) this.pos++;
  }

  value(): JsonValue {
    this.space();
    const c = this.s[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    throw new KscJsonError(`unexpected character at ${this.pos}`);
  }

  private object(): JsonValue {
    const out: Record<string, JsonValue> = {};
    this.pos++;
    this.space();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.s[this.pos] !== '"') throw new KscJsonError(`property name expected at ${this.pos}`);
      const key = this.string();
      this.space();
      if (this.s[this.pos++] !== ':') throw new KscJsonError(`":" expected at ${this.pos - 1}`);
      out[key] = this.value();
      this.space();
      const c = this.s[this.pos++];
      if (c === '}') return out;
      if (c !== ',') throw new KscJsonError(`"," or "}" expected at ${this.pos - 1}`);
    }
  }

  private array(): JsonValue {
    const out: JsonValue[] = [];
    this.pos++;
    this.space();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      const c = this.s[this.pos++];
      if (c === ']') return out;
      if (c !== ',') throw new KscJsonError(`"," or "]" expected at ${this.pos - 1}`);
    }
  }

  private string(): string {
    let end = this.pos + 1;
    while (end < this.s.length && this.s[end] !== '"') end += this.s[end] === '\\' ? 2 : 1;
    if (end >= this.s.length) throw new KscJsonError(`unterminated string at ${this.pos}`);
    // JSON.parse validates escapes and control characters of the literal.
    const text = JSON.parse(this.s.slice(this.pos, end + 1)) as string;
    this.pos = end + 1;
    return text;
  }

  private number(): number | bigint {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.pos));
    if (!m) throw new KscJsonError(`bad number at ${this.pos}`);
    this.pos += m[0].length;
    const n = Number(m[0]);
    return !m[1] && !m[2] && !Number.isSafeInteger(n) ? BigInt(m[0]) : n;
  }
}

/** JSON.stringify that writes bigint as a bare integer literal. */
export function stringifyKscJson(value: unknown): string {
  const marker = `__kscbig_${Math.random().toString(36).slice(2)}__`;
  const text =
    JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${marker}${v.toString()}` : v)) ?? 'null';
  return text.includes(marker) ? text.replace(new RegExp(`"${marker}(-?\\d+)"`, 'g'), '$1') : text;
}
