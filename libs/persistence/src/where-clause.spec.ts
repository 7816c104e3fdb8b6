import { whereClause } from './where-clause';

describe('whereClause', () => {
  it('ANDs the conditions that have a value, numbering their parameters in order', () => {
    expect(
      whereClause([
        ['status = $?', 'ready'],
        ['lifecycle = $?', undefined],
        ['site_id = $?', 'site-1'],
        ['site_id = ANY($?)', ['a', 'b']],
      ]),
    ).toEqual({
      clause: 'WHERE status = $1 AND site_id = $2 AND site_id = ANY($3)',
      params: ['ready', 'site-1', ['a', 'b']],
    });
  });

  it('is empty without a value; an empty array is a value (it matches nothing), an empty string is not', () => {
    expect(
      whereClause([
        ['status = $?', undefined],
        ['site_id = $?', null],
        ['name = $?', ''],
      ]),
    ).toEqual({
      clause: '',
      params: [],
    });
    expect(whereClause([['site_id = ANY($?)', []]])).toEqual({ clause: 'WHERE site_id = ANY($1)', params: [[]] });
  });

  it('puts a value only in the parameters, never in the SQL', () => {
    const evil = "x'; DROP TABLE tenant; --";
    const { clause, params } = whereClause([['name = $?', evil]]);
    expect(clause).toBe('WHERE name = $1');
    expect(params).toEqual([evil]);
  });

  it('refuses a condition without exactly one placeholder', () => {
    expect(() => whereClause([['status = 1', 'x']])).toThrow(/one \$\? placeholder/);
    expect(() => whereClause([['a = $? OR b = $?', 'x']])).toThrow(/one \$\? placeholder/);
  });
});
