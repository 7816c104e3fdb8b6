import type { LicenseKeyInfo } from '@tpo/ksc-client';
import { effectiveLicense, expiryCrossings, productKeys } from './license-numbers';

const now = new Date('2026-12-01T00:00:00Z');
const key = (serial: string, o: Partial<LicenseKeyInfo> = {}): LicenseKeyInfo => ({
  serial,
  productName: 'Kaspersky Security for Virtualization Light Agent',
  raw: {},
  ...o,
});
const days = (n: number) => new Date(now.getTime() + n * 86_400_000);

describe('licence numbers from the main server keys', () => {
  it("counts only the product's keys", () => {
    expect(
      productKeys(
        [key('a'), key('b', { productName: 'Kaspersky Security Center' })],
        /Security for Virtualization/i,
      ).map((k) => k.serial),
    ).toEqual(['a']);
  });

  it("sums the valid keys' counts and takes the tighter of configured and live limits", () => {
    const keys = [
      key('a', { limit: 300, expiresAt: days(100) }),
      key('b', { limit: 200, expiresAt: days(10) }),
      key('c', { limit: 999, expiresAt: days(-1) }),
    ];
    expect(effectiveLicense(undefined, keys, now)).toEqual({ maxVms: 500, expiresAt: days(100).toISOString() });
    expect(effectiveLicense({ maxVms: 400 }, keys, now).maxVms).toBe(400);
    expect(effectiveLicense({ maxVms: 1_000_000, expiresAt: days(5).toISOString() }, keys, now)).toEqual({
      maxVms: 500,
      expiresAt: days(5).toISOString(),
    });
  });

  it('every key expired: no VM left and the site expired', () => {
    const lic = effectiveLicense(
      { maxVms: 100 },
      [key('a', { limit: 50, expiresAt: days(-3) }), key('b', { limit: 50, expiresAt: days(-1) })],
      now,
    );
    expect(lic).toEqual({ maxVms: 0, expiresAt: days(-1).toISOString() });
  });

  it('no key of the product: the configured limits alone', () => {
    expect(effectiveLicense({ maxVms: 7 }, [], now)).toEqual({ maxVms: 7 });
  });

  it('reports the horizons a key is inside of, smallest first', () => {
    const c = expiryCrossings(
      [key('a', { expiresAt: days(5.5) }), key('b', { expiresAt: days(40) }), key('c')],
      [30, 7, 1],
      now,
    );
    expect(c).toEqual([expect.objectContaining({ daysLeft: 5, horizons: [7, 30] })]);
    expect(c[0].key.serial).toBe('a');
  });
});
