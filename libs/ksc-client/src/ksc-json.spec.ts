import { parseKscJson, stringifyKscJson } from './ksc-json';

describe('KSC JSON', () => {
  it('writes plain values as JSON.stringify does, dates included', () => {
    const value = { a: 1, b: 'x', c: [true, null], d: new Date(Date.UTC(2026, 0, 2)), e: undefined };
    expect(stringifyKscJson(value)).toBe(JSON.stringify(value));
    expect(stringifyKscJson(undefined)).toBe('null');
  });

  it('writes a bigint as a bare integer literal, wherever it is', () => {
    const big = 2n ** 63n - 1n;
    expect(stringifyKscJson({ id: big, list: [1, -big], nested: { s: 'text' } })).toBe(
      `{"id":${big},"list":[1,-${big}],"nested":{"s":"text"}}`,
    );
  });

  it('still refuses what JSON cannot hold', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => stringifyKscJson(circular)).toThrow(TypeError);
  });

  it('reads a long integer beyond 2^53 as bigint and the rest as numbers', () => {
    expect(parseKscJson('{"a":9223372036854775807,"b":12,"c":"9223372036854775807"}')).toEqual({
      a: 9223372036854775807n,
      b: 12,
      c: '9223372036854775807',
    });
  });
});
