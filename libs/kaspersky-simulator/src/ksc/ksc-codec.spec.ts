import { decodeValue, encodeReply, KscLong } from './ksc-codec';

describe('simulator KSC value codec', () => {
  it('accepts wrapped and plain forms at every level', () => {
    expect(decodeValue({ type: 'params', value: { a: { type: 'long', value: 5 }, b: { c: 1 } } })).toEqual({
      a: 5,
      b: { c: 1 },
    });
    expect(decodeValue({ type: 'datetime', value: '' })).toBeNull();
    expect(decodeValue({ type: 'binary', value: 'aGk=' })).toEqual(Buffer.from('hi'));
  });

  it('emits top-level containers plain and nested values wrapped', () => {
    const out = encodeReply(
      {
        PxgRetVal: {
          id: 1,
          created: new Date('2025-03-01T10:00:00.000Z'),
          size: new KscLong(7),
          sub: { x: 1 },
          nul: null,
        },
        list: [{ a: 1 }],
      },
      true,
    );
    expect(out).toEqual({
      PxgRetVal: {
        id: 1,
        created: { type: 'datetime', value: '2025-03-01T10:00:00Z' },
        size: { type: 'long', value: 7 },
        sub: { type: 'params', value: { x: 1 } },
      },
      list: [{ type: 'params', value: { a: 1 } }],
    });
  });

  it('wraps top-level typed scalars unless switched to bare values', () => {
    expect(encodeReply({ PxgRetVal: Buffer.from('hi') }, true)).toEqual({
      PxgRetVal: { type: 'binary', value: 'aGk=' },
    });
    expect(encodeReply({ PxgRetVal: Buffer.from('hi') }, false)).toEqual({ PxgRetVal: 'aGk=' });
  });
});
