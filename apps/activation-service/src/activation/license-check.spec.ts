import { SiteLicense } from '@tpo/site-directory';
import { checkLicense, licenseBudget } from './license-check';

describe('checkLicense', () => {
  it('allows a tenant that fits', () => {
    expect(checkLicense({ maxVms: 100 }, 90, 10)).toEqual({ ok: true });
    expect(checkLicense(undefined, 1_000_000, 5)).toEqual({ ok: true });
  });

  it('holds a tenant that would exceed the VM capacity, with the numbers in the reason', () => {
    expect(checkLicense({ maxVms: 100 }, 95, 10)).toEqual({
      ok: false,
      code: 'LICENSE_CAPACITY_EXCEEDED',
      reason: expect.stringContaining('95 of 100'),
    });
  });

  it('holds every tenant once the license expired', () => {
    expect(checkLicense({ maxVms: 100, expiresAt: '2020-01-01' }, 0, 1, new Date('2026-01-01'))).toMatchObject({
      ok: false,
      code: 'LICENSE_EXPIRED',
    });
  });
});

describe('licenseBudget', () => {
  it('is checkLicense as a bound on the VMs already counted: ok exactly when used <= budget (null: always)', () => {
    const now = new Date('2026-06-01');
    const licenses: (SiteLicense | undefined)[] = [
      undefined,
      {},
      { maxVms: 0 },
      { maxVms: 5 },
      { maxVms: 12 },
      { expiresAt: '2026-01-01' },
      { maxVms: 5, expiresAt: '2026-01-01' },
      { maxVms: 5, expiresAt: '2027-01-01' },
    ];
    let refused = 0;
    for (const license of licenses)
      for (let requested = 0; requested <= 7; requested++)
        for (let used = 0; used <= 14; used++) {
          const budget = licenseBudget(license, requested, now);
          const ok = checkLicense(license, used, requested, now).ok;
          expect({ license, requested, used, ok: budget === null || used <= budget }).toEqual({
            license,
            requested,
            used,
            ok,
          });
          if (!ok) refused++;
        }
    expect(refused).toBeGreaterThan(100);
  });
});
