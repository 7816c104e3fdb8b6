import { combinedStatement, GuardedStatement, shiftPlaceholders } from './guarded-statement';

describe('shiftPlaceholders', () => {
  it('renumbers every placeholder, multi-digit ones included, and leaves the rest of the text alone', () => {
    expect(shiftPlaceholders('UPDATE t SET a = $1, b = $2::jsonb WHERE id = $10 AND x', 4)).toBe(
      'UPDATE t SET a = $5, b = $6::jsonb WHERE id = $14 AND x',
    );
  });

  it('is the identity with no offset', () => {
    expect(shiftPlaceholders('SELECT $1', 0)).toBe('SELECT $1');
  });
});

describe('combinedStatement', () => {
  it("places each statement as a CTE with its parameters after the previous ones', always applying, and calls each one's applied", () => {
    const applied: string[] = [];
    const st = (table: string, params: unknown[], mark = true): GuardedStatement => ({
      text: (held) => `UPDATE ${table} SET v = $2 WHERE id = $1 AND (${held})`,
      params,
      ...(mark ? { applied: () => void applied.push(table) } : {}),
    });
    const c = combinedStatement([st('a', [1, 'x']), st('b', [2, 'y'], false), st('c', [3, 'z'])]);
    expect(c.params).toEqual([1, 'x', 2, 'y', 3, 'z']);
    expect(c.text).toContain('w0 AS (UPDATE a SET v = $2 WHERE id = $1 AND (true) RETURNING 1)');
    expect(c.text).toContain('w1 AS (UPDATE b SET v = $4 WHERE id = $3 AND (true) RETURNING 1)');
    expect(c.text).toContain('w2 AS (UPDATE c SET v = $6 WHERE id = $5 AND (true) RETURNING 1)');
    expect(applied).toEqual([]);
    c.applied();
    expect(applied).toEqual(['a', 'c']);
  });

  it('refuses an empty list', () => {
    expect(() => combinedStatement([])).toThrow(/no statements/);
  });
});
