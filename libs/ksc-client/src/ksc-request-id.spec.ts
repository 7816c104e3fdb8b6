import { kscRequestId } from './ksc-client';

describe('X-KSC-RequestId', () => {
  it('has the `<16 hex>_<16 hex>` shape (ksc-openapi.md §8.1 ASSUMPTION) and differs per request', () => {
    const ids = Array.from({ length: 1000 }, () => kscRequestId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}_[0-9a-f]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
