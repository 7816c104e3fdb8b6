import { chooseSite, freeVirtualServers } from './placement';

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
    expect(chooseSite([], undefined, known)).toMatchObject({
      rejected: 'NO_SITE_CAPACITY',
      reason: expect.stringContaining('no site is eligible'),
    });
    expect(chooseSite(sites, 'nowhere', known)).toMatchObject({ rejected: 'SITE_UNKNOWN' });
  });
});

describe('chooseSite with preflight results (issue 8)', () => {
  const known = ['a', 'b'];

  it('gives no tenant to a site whose last preflight failed, and says why', () => {
    const r = chooseSite(
      [{ id: 'a', maxVirtualServers: 500, placed: 0, preflightFailed: ['packages/linux', 'license-keys'] }],
      'a',
      known,
    );
    expect(r).toEqual({
      rejected: 'NO_SITE_CAPACITY',
      reason: expect.stringContaining('a failed its last preflight (packages/linux, license-keys)'),
    });
    expect(
      chooseSite(
        [
          { id: 'a', maxVirtualServers: 500, placed: 0, preflightFailed: ['ksc'] },
          { id: 'b', maxVirtualServers: 5, placed: 4 },
        ],
        'a',
        known,
      ),
    ).toEqual({ siteId: 'b' });
  });

  it('counts the virtual servers the KSC already holds against the 500 cap', () => {
    expect(freeVirtualServers({ maxVirtualServers: 500, placed: 10, foreign: 480 })).toBe(10);
    expect(freeVirtualServers({ maxVirtualServers: 20, placed: 10, foreign: 100 })).toBe(10);
    const full = chooseSite([{ id: 'a', maxVirtualServers: 500, placed: 0, foreign: 500 }], undefined, known);
    expect(full).toEqual({
      rejected: 'NO_SITE_CAPACITY',
      reason: expect.stringContaining('+500 other virtual servers'),
    });
    expect(
      chooseSite(
        [
          { id: 'a', maxVirtualServers: 500, placed: 0, foreign: 499 },
          { id: 'b', maxVirtualServers: 10, placed: 0 },
        ],
        undefined,
        known,
      ),
    ).toEqual({ siteId: 'b' });
  });
});
