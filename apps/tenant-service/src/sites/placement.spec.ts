import { chooseSite } from './placement';

describe('chooseSite', () => {
  const sites = [
    { id: 'a', maxVirtualServers: 500, placed: 499 },
    { id: 'b', maxVirtualServers: 500, placed: 100 },
    { id: 'c', maxVirtualServers: 10, placed: 10 },
  ];
  const known = ['a', 'b', 'c', 'disabled'];

  it('honours a preferred site that has room', () => {
    expect(chooseSite(sites, 'a', known)).toEqual({ siteId: 'a' });
  });

  it('sends the tenant elsewhere when the preferred site is full (or not eligible)', () => {
    expect(chooseSite(sites, 'c', known)).toEqual({ siteId: 'b' });
    expect(chooseSite(sites, 'disabled', known)).toEqual({ siteId: 'b' });
  });

  it('picks the site with most free virtual servers', () => {
    expect(chooseSite(sites, undefined, known)).toEqual({ siteId: 'b' });
  });

  it('rejects with a clear reason when all are full, or the preferred site is unknown', () => {
    const full = chooseSite([{ id: 'c', maxVirtualServers: 10, placed: 10 }], undefined, known);
    expect(full).toEqual({ rejected: 'NO_SITE_CAPACITY', reason: expect.stringContaining('c 10/10') });
    expect(chooseSite([], undefined, known)).toMatchObject({ rejected: 'NO_SITE_CAPACITY', reason: expect.stringContaining('no site is eligible') });
    expect(chooseSite(sites, 'nowhere', known)).toMatchObject({ rejected: 'SITE_UNKNOWN' });
  });
});
