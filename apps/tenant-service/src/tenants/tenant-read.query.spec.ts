import { pageBody } from './tenant-read.query';

describe('pageBody', () => {
  it("wraps the items' JSON text with the total, limit and offset", () => {
    const body = pageBody('[{"id":"a"},{"id":"b"}]', 42, 2, 10);
    expect(JSON.parse(body)).toEqual({ items: [{ id: 'a' }, { id: 'b' }], total: 42, limit: 2, offset: 10 });
    expect(JSON.parse(pageBody('[]', 0, 20, 0))).toEqual({ items: [], total: 0, limit: 20, offset: 0 });
  });

  it('refuses a total, limit or offset that is not an integer (nothing but JSON numbers goes into the text)', () => {
    expect(() => pageBody('[]', 1.5, 20, 0)).toThrow(TypeError);
    expect(() => pageBody('[]', 0, Number.NaN, 0)).toThrow(TypeError);
    expect(() => pageBody('[]', 0, 20, '1,"x":2' as unknown as number)).toThrow(TypeError);
  });
});
