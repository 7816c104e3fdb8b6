import type { LicenseKeyInfo } from '@tpo/ksc-client';
import { SiteLicense } from '@tpo/site-directory';

const DAY_MS = 86_400_000;

/** The keys of the product this platform protects with (ASSUMPTION: matched by `KLLIC_PROD_NAME`; the KSV LA application id is not documented). */
export function productKeys(keys: readonly LicenseKeyInfo[], productPattern: RegExp): LicenseKeyInfo[] {
  return keys.filter((k) => productPattern.test(k.productName ?? ''));
}

const expired = (k: LicenseKeyInfo, now: Date) => k.expiresAt !== undefined && k.expiresAt.getTime() <= now.getTime();

/**
 * What the site may protect: the site's configured limits and the live keys together, whichever is
 * tighter. Keys: VMs = the valid (installed, unexpired) keys' `KLLIC_LIC_COUNT` summed (ASSUMPTION:
 * the count is in protected VMs, ksc-openapi-addendum.md §3.2); expiry = when the last valid key
 * expires; every key expired = expired at the latest expiry. No key of the product at all: the keys
 * do not limit (the configured values alone; the preflight reports the missing key).
 */
export function effectiveLicense(
  configured: SiteLicense | undefined,
  keys: readonly LicenseKeyInfo[],
  now = new Date(),
): SiteLicense {
  const out: SiteLicense = { ...configured };
  if (keys.length === 0) return out;
  const valid = keys.filter((k) => k.installed !== false && !expired(k, now));
  const limits = valid.map((k) => k.limit).filter((n): n is number => n !== undefined);
  const keyVms = valid.length === 0 ? 0 : limits.length > 0 ? limits.reduce((a, b) => a + b, 0) : undefined;
  if (keyVms !== undefined) out.maxVms = out.maxVms === undefined ? keyVms : Math.min(out.maxVms, keyVms);
  const pool = valid.length > 0 ? valid : keys;
  const keyExpiry = pool.some((k) => k.expiresAt === undefined)
    ? undefined
    : new Date(Math.max(...pool.map((k) => k.expiresAt!.getTime())));
  if (keyExpiry && (!out.expiresAt || keyExpiry < new Date(out.expiresAt))) out.expiresAt = keyExpiry.toISOString();
  return out;
}

export interface ExpiryCrossing {
  key: LicenseKeyInfo;
  expiresAt: Date;
  daysLeft: number;
  /** Every horizon the key is inside of now, smallest first. */
  horizons: number[];
}

/** Keys inside at least one horizon (days before `KLLIC_LIMIT_DATE`), with the horizons they crossed. */
export function expiryCrossings(
  keys: readonly LicenseKeyInfo[],
  horizonsDays: readonly number[],
  now = new Date(),
): ExpiryCrossing[] {
  const out: ExpiryCrossing[] = [];
  for (const key of keys) {
    if (!key.expiresAt) continue;
    const left = key.expiresAt.getTime() - now.getTime();
    const horizons = [...horizonsDays].filter((h) => left <= h * DAY_MS).sort((a, b) => a - b);
    if (horizons.length > 0)
      out.push({ key, expiresAt: key.expiresAt, daysLeft: Math.max(0, Math.floor(left / DAY_MS)), horizons });
  }
  return out;
}
