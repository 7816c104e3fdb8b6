import { chainStatement } from './chained-statement';

describe('chainStatement', () => {
  it('numbers the parameters across links, gates a link by an earlier one, and counts each link', () => {
    const s = chainStatement([
      { name: 'a', text: (bind) => `INSERT INTO a VALUES (${bind('x')}) RETURNING 1` },
      {
        name: 'b',
        gate: 'a',
        text: (bind, gate) => `INSERT INTO b SELECT ${bind(1)}, ${bind(null)} FROM ${gate} RETURNING 1`,
      },
    ]);
    expect(s.text).toBe(
      'WITH a AS (INSERT INTO a VALUES ($1) RETURNING 1),\n' +
        'b AS (INSERT INTO b SELECT $2, $3 FROM a RETURNING 1)\n' +
        'SELECT (SELECT count(*) FROM a)::int AS a, (SELECT count(*) FROM b)::int AS b',
    );
    expect(s.params).toEqual(['x', 1, null]);
  });

  it('refuses a gate that does not precede its link, and repeated or unsafe names', () => {
    const link = (name: string, gate?: string) => ({ name, gate, text: () => 'SELECT 1' });
    expect(() => chainStatement([link('a', 'b'), link('b')])).toThrow(/does not precede/);
    expect(() => chainStatement([link('a'), link('a')])).toThrow(/repeated/);
    expect(() => chainStatement([link('a; DROP TABLE x')])).toThrow(/bad/);
  });
});
