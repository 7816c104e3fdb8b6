import { methodErrorFrom } from './errors';
import {
  decodeReply,
  decodeValue,
  encodeArgs,
  encodeNested,
  kscBinary,
  kscDate,
  kscDateTime,
  kscDouble,
  kscLong,
  kscParams,
  KscTyped,
} from './ksc-codec';
import { KscJsonError, parseKscJson, stringifyKscJson } from './ksc-json';
import { isIdempotentMethod } from './method-names';

describe('KSC value encoding', () => {
  it('wraps long, datetime, date, binary and double values', () => {
    expect(encodeNested(kscLong(42))).toEqual({ type: 'long', value: 42 });
    expect(encodeNested(kscDateTime(new Date('2021-02-23T10:14:33.512Z')))).toEqual({
      type: 'datetime',
      value: '2021-02-23T10:14:33Z',
    });
    expect(encodeNested(kscDateTime(null))).toEqual({ type: 'datetime', value: '' });
    expect(encodeNested(kscDate('2024-01-31'))).toEqual({ type: 'date', value: '2024-01-31' });
    expect(encodeNested(kscBinary(Buffer.from('hi')))).toEqual({ type: 'binary', value: 'aGk=' });
    expect(encodeNested(kscDouble(1.5))).toEqual({ type: 'double', value: 1.5 });
  });

  it('sends top-level containers plain and nested containers wrapped', () => {
    const body = encodeArgs({
      pInfo: { name: 'Servers', parentId: 0, nested: { a: 1 } },
      pData: kscParams({ TASK_INFO_PARAMS: { DisplayName: 'x' } }),
      lVServer: 3,
      skipped: undefined,
    });
    expect(body).toEqual({
      pInfo: { name: 'Servers', parentId: 0, nested: { type: 'params', value: { a: 1 } } },
      pData: { TASK_INFO_PARAMS: { type: 'params', value: { DisplayName: 'x' } } },
      lVServer: 3,
    });
  });

  it('wraps arrays of containers element by element and leaves out null fields inside containers', () => {
    expect(encodeNested([{ Name: 'KLHST_WKS_DN', Asc: true }])).toEqual([
      { type: 'params', value: { Name: 'KLHST_WKS_DN', Asc: true } },
    ]);
    expect(encodeArgs({ p: { a: null, b: 'x' } })).toEqual({ p: { b: 'x' } });
  });

  it('turns Date, bytes, bigint and numbers outside 32 bits into their typed forms', () => {
    expect(encodeNested(new Date('2020-01-01T00:00:00Z'))).toEqual({ type: 'datetime', value: '2020-01-01T00:00:00Z' });
    expect(encodeNested(new Uint8Array([1, 2]))).toEqual({ type: 'binary', value: 'AQI=' });
    expect(encodeNested(5n)).toEqual({ type: 'long', value: 5n });
    expect(encodeNested(4_294_967_296)).toEqual({ type: 'long', value: 4_294_967_296 });
    expect(encodeNested(2_147_483_647)).toBe(2_147_483_647);
  });

  it('refuses a long that is not a safe integer number', () => {
    expect(() => kscLong(2 ** 60)).toThrow(RangeError);
    expect(() => kscLong(1.5)).toThrow(RangeError);
  });

  it('writes and reads 64-bit integers beyond 2^53 without losing digits', () => {
    const text = stringifyKscJson(encodeArgs({ l: kscLong(9007199254740993n) }));
    expect(text).toBe('{"l":{"type":"long","value":9007199254740993}}');
    const back = decodeReply(parseKscJson(text));
    expect(back.l).toBe(9007199254740993n);
  });

  it('parses ordinary JSON with the lossless parser too', () => {
    const text = '{"a":"x\\"y\\u00e9","big":12345678901234567890,"f":1.25,"arr":[true,false,null],"e":{}}';
    expect(parseKscJson(text)).toEqual({
      a: 'x"yé',
      big: 12345678901234567890n,
      f: 1.25,
      arr: [true, false, null],
      e: {},
    });
    expect(() => parseKscJson('{"a":1,}0000000000000000')).toThrow(KscJsonError);
  });

  it('keeps safe numbers, decimals and digit strings as they are on the lossless path', () => {
    const text =
      '{"ids":[-9223372036854775808,9223372036854775807],"safe":1234567890123456,"exp":1e20,"dec":0.1234567890123456,' +
      '"s":"12345678901234567890","n":{"deep":[{"v":18446744073709551615}]}}';
    expect(parseKscJson(text)).toEqual({
      ids: [-9223372036854775808n, 9223372036854775807n],
      safe: 1234567890123456,
      exp: 1e20,
      dec: 0.1234567890123456,
      s: '12345678901234567890',
      n: { deep: [{ v: 18446744073709551615n }] },
    });
    // Without a 16-digit run: plain JSON.parse, the same values.
    expect(parseKscJson('{"a":[1,2.5,"x"],"b":null}')).toEqual({ a: [1, 2.5, 'x'], b: null });
  });
});

describe('KSC value decoding', () => {
  it('unwraps typed values at any depth', () => {
    const reply = decodeReply({
      PxgRetVal: {
        KLVSRV_ID: 7,
        KLVSRV_CREATED: { type: 'datetime', value: '2025-03-01T10:00:00Z' },
        list: [
          { type: 'params', value: { size: { type: 'long', value: 12 }, blob: { type: 'binary', value: 'aGk=' } } },
        ],
      },
    });
    const v = reply.PxgRetVal as Record<string, unknown>;
    expect(v.KLVSRV_ID).toBe(7);
    expect(v.KLVSRV_CREATED).toEqual(new Date('2025-03-01T10:00:00Z'));
    const item = (v.list as Record<string, unknown>[])[0];
    expect(item.size).toBe(12);
    expect(item.blob).toEqual(Buffer.from('hi'));
  });

  it('reads an empty datetime as unset and tolerates plain forms', () => {
    expect(decodeValue({ type: 'datetime', value: '' })).toBeNull();
    expect(decodeValue({ a: 1, b: 'x' })).toEqual({ a: 1, b: 'x' });
    expect(decodeValue({ type: 'params', value: { type: 'x' } })).toEqual({ type: 'x' });
    expect(decodeValue({ type: 'long', value: '9007199254740993' })).toBe(9007199254740993n);
  });

  it('keeps wire types on request so a record can be sent back unchanged', () => {
    const v = decodeValue({ x: { type: 'long', value: 5 } }, { keepTypes: true }) as Record<string, unknown>;
    expect(v.x).toBeInstanceOf(KscTyped);
    expect(encodeNested(v)).toEqual({ type: 'params', value: { x: { type: 'long', value: 5 } } });
  });
});

describe('PxgError bodies', () => {
  it('become a method error with code, module and the localised text', () => {
    const body = JSON.stringify({
      PxgError: {
        code: 1234,
        subcode: 5,
        module: 'KLSTD',
        message: 'Object not found',
        locdata: {
          type: 'params',
          value: { format: 'Group %1 was not found', 'format-id': 17, locmodule: 'x', args: ['Servers'] },
        },
      },
    });
    const e = methodErrorFrom(body, 'HostGroup.GetGroupId', 200)!;
    expect(e).toMatchObject({
      code: 1234,
      subcode: 5,
      module: 'KLSTD',
      locMessage: 'Group Servers was not found',
      method: 'HostGroup.GetGroupId',
    });
    expect(e.serverMessage).toBe('Object not found');
    expect(methodErrorFrom('{"PxgRetVal":1}', 'x', 200)).toBeUndefined();
    expect(methodErrorFrom('not json', 'x', 500)).toBeUndefined();
  });
});

describe('retry classification', () => {
  it('treats reads as idempotent and state changes and action polling as not', () => {
    expect(isIdempotentMethod('HostGroup.FindHosts')).toBe(true);
    expect(isIdempotentMethod('ChunkAccessor.GetItemsChunk')).toBe(true);
    expect(isIdempotentMethod('HostsTags.ListTags.GetAllTags')).toBe(true);
    expect(isIdempotentMethod('VServers.AddVServerInfo')).toBe(false);
    expect(isIdempotentMethod('AsyncActionStateChecker.CheckActionState')).toBe(false);
    expect(isIdempotentMethod('Session.StartSession')).toBe(false);
  });
});
