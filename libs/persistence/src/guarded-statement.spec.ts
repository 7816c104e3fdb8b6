import { shiftPlaceholders } from './guarded-statement';

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
