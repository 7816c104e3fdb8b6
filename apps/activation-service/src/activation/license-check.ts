import { SiteLicense } from '@tpo/site-directory';

export type LicenseVerdict =
  { ok: true } | { ok: false; code: 'LICENSE_EXPIRED' | 'LICENSE_CAPACITY_EXCEEDED'; reason: string };

/**
 * The provider "activates the solution and monitors license restrictions" (integration-server-api.md
 * §9.2): licensing is per SVM, with no per-tenant quota in the API, so the platform keeps its own
 * count per site — VMs of tenants activated (or activating) there, against the site's configured
 * capacity and expiry.
 */
export function checkLicense(
  license: SiteLicense | undefined,
  usedVms: number,
  requestedVms: number,
  now = new Date(),
): LicenseVerdict {
  if (license?.expiresAt && new Date(license.expiresAt) < now) {
    return { ok: false, code: 'LICENSE_EXPIRED', reason: `the site's license expired on ${license.expiresAt}` };
  }
  if (license?.maxVms !== undefined && usedVms + requestedVms > license.maxVms) {
    return {
      ok: false,
      code: 'LICENSE_CAPACITY_EXCEEDED',
      reason: `activating ${requestedVms} VMs would exceed the site's license: ${usedVms} of ${license.maxVms} VMs already protected`,
    };
  }
  return { ok: true };
}

/**
 * checkLicense as a bound on the VMs already counted: the verdict for `usedVms` is ok exactly when
 * `usedVms <= budget` (null: any count), so that the count and the reservation can be one statement
 * (StepWorkRepository.reserveOutputNumber). -1 when nothing fits (expired).
 */
export function licenseBudget(license: SiteLicense | undefined, requestedVms: number, now = new Date()): number | null {
  if (license?.expiresAt && new Date(license.expiresAt) < now) return -1;
  return license?.maxVms === undefined ? null : license.maxVms - requestedVms;
}
