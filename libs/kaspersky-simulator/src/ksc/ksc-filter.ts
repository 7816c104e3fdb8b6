/**
 * A small evaluator for the LDAP-like `wstrFilter` of Find* methods (ksc-openapi.md §4.1):
 * `(A="x")`, `*` wildcards, `(&…)`, `(|…)`, `(!…)`, `=`, `<>`, `<`, `>`, `<=`, `>=` on strings,
 * numbers, booleans and datetimes, the bit test `(A&1<>0)`, and `""` for everything.
 */

export class KscFilterError extends Error {
  override name = 'KscFilterError';
}

type Op = '=' | '<>' | '<' | '>' | '<=' | '>=';
type Node =
  | { kind: 'and' | 'or'; items: Node[] }
  | { kind: 'not'; item: Node }
  | { kind: 'cmp'; attr: string; mask?: number; op: Op; value: string; quoted: boolean };

export type KscRecord = Record<string, unknown>;
export type KscPredicate = (record: KscRecord) => boolean;

export interface FilterOptions {
  /** ASSUMPTION (ksc-openapi.md §4.1): string comparisons ignore case, like KSC's database collation. */
  caseInsensitive?: boolean;
}

export function compileFilter(text: string, options: FilterOptions = {}): KscPredicate {
  const trimmed = text.trim();
  if (trimmed === '') return () => true;
  const parser = new Parser(trimmed);
  const node = parser.parseFilter();
  parser.skipSpace();
  if (!parser.atEnd()) throw new KscFilterError(`unexpected text at position ${parser.pos} in filter`);
  return (record) => evaluate(node, record, options.caseInsensitive ?? true);
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  atEnd(): boolean {
    return this.pos >= this.s.length;
  }

  skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.s[this.pos])) this.pos++;
  }

  private expect(ch: string): void {
    this.skipSpace();
    if (this.s[this.pos] !== ch) throw new KscFilterError(`expected "${ch}" at position ${this.pos} in filter`);
    this.pos++;
  }

  parseFilter(): Node {
    this.expect('(');
    this.skipSpace();
    const c = this.s[this.pos];
    let node: Node;
    if (c === '&' || c === '|') {
      this.pos++;
      const items: Node[] = [];
      for (this.skipSpace(); this.s[this.pos] === '('; this.skipSpace()) items.push(this.parseFilter());
      if (items.length === 0) throw new KscFilterError(`"${c}" needs at least one operand`);
      node = { kind: c === '&' ? 'and' : 'or', items };
    } else if (c === '!') {
      this.pos++;
      node = { kind: 'not', item: this.parseFilter() };
    } else {
      node = this.parseComparison();
    }
    this.expect(')');
    return node;
  }

  private parseComparison(): Node {
    const attr = /^[A-Za-z_][\w.-]*/.exec(this.s.slice(this.pos))?.[0];
    if (!attr) throw new KscFilterError(`attribute name expected at position ${this.pos} in filter`);
    this.pos += attr.length;
    this.skipSpace();
    let mask: number | undefined;
    if (this.s[this.pos] === '&') {
      const m = /^&\s*(\d+)/.exec(this.s.slice(this.pos));
      if (!m) throw new KscFilterError(`bit mask expected at position ${this.pos} in filter`);
      mask = Number(m[1]);
      this.pos += m[0].length;
      this.skipSpace();
    }
    const op = /^(<>|<=|>=|=|<|>)/.exec(this.s.slice(this.pos))?.[0] as Op | undefined;
    if (!op) throw new KscFilterError(`operator expected at position ${this.pos} in filter`);
    this.pos += op.length;
    this.skipSpace();
    if (this.s[this.pos] === '"') return { kind: 'cmp', attr, mask, op, value: this.parseQuoted(), quoted: true };
    const start = this.pos;
    while (!this.atEnd() && this.s[this.pos] !== ')') this.pos++;
    return { kind: 'cmp', attr, mask, op, value: this.s.slice(start, this.pos).trim(), quoted: false };
  }

  private parseQuoted(): string {
    this.pos++;
    let out = '';
    while (!this.atEnd() && this.s[this.pos] !== '"') {
      // ASSUMPTION (ksc-openapi.md §4.1): a backslash escapes the next character inside quotes.
      if (this.s[this.pos] === '\\' && this.pos + 1 < this.s.length) this.pos++;
      out += this.s[this.pos++];
    }
    if (this.atEnd()) throw new KscFilterError('unterminated string in filter');
    this.pos++;
    return out;
  }
}

function evaluate(node: Node, record: KscRecord, ci: boolean): boolean {
  switch (node.kind) {
    case 'and':
      return node.items.every((n) => evaluate(n, record, ci));
    case 'or':
      return node.items.some((n) => evaluate(n, record, ci));
    case 'not':
      return !evaluate(node.item, record, ci);
    case 'cmp':
      return compare(node, record[node.attr], ci);
  }
}

function compare(node: Extract<Node, { kind: 'cmp' }>, raw: unknown, ci: boolean): boolean {
  // An absent (NULL) attribute matches only "not equal".
  if (raw === undefined || raw === null) return node.op === '<>';
  let actual = raw;
  if (node.mask !== undefined) actual = (Number(raw) | 0) & node.mask;
  const order = ordering(actual, node.value, node.op, ci);
  if (order === undefined) return node.op === '<>';
  switch (node.op) {
    case '=':
      return order === 0;
    case '<>':
      return order !== 0;
    case '<':
      return order < 0;
    case '>':
      return order > 0;
    case '<=':
      return order <= 0;
    case '>=':
      return order >= 0;
  }
}

/** Sign of actual − expected, or undefined when the two cannot be compared. */
function ordering(actual: unknown, expected: string, op: Op, ci: boolean): number | undefined {
  if (typeof actual === 'number' || typeof actual === 'bigint') {
    const n = Number(expected);
    if (expected === '' || Number.isNaN(n)) return undefined;
    return Math.sign(Number(actual) - n);
  }
  if (typeof actual === 'boolean') {
    const e = expected.toLowerCase();
    const b = e === 'true' || e === '1' ? true : e === 'false' || e === '0' ? false : undefined;
    return b === undefined ? undefined : Number(actual) - Number(b);
  }
  if (actual instanceof Date) {
    const t = Date.parse(expected);
    return Number.isNaN(t) ? undefined : Math.sign(actual.getTime() - t);
  }
  const a = ci ? String(actual).toLowerCase() : String(actual);
  const e = ci ? expected.toLowerCase() : expected;
  if ((op === '=' || op === '<>') && e.includes('*')) return wildcard(e).test(a) ? 0 : 1;
  return a < e ? -1 : a > e ? 1 : 0;
}

function wildcard(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}
