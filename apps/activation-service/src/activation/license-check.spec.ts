import { checkLicense } from './license-check';

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
