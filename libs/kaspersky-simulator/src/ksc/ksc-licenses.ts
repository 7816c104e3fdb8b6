import { randomBytes } from 'node:crypto';
import { SEED_LICENSE_KEY } from '../config/seed';
import { KscModelError, MAIN_SERVER } from './ksc-model';

/**
 * One key in a server's key storage, with the documented `KLLIC_*` attributes
 * (ksc-openapi-addendum.md §3.2, KSC13/a00115). `KLLIC_KEY_TYPE`: 1 commercial, 2 beta, 3 trial,
 * 4 test, 5 OEM, 6 subscription.
 */
export interface LicenseKey {
  serial: string;
  /** The server whose key storage holds it (0 = main server; a tenant vAS holds no KSV key, §3.1). */
  vsId: number;
  productName: string;
  appId: number;
  keyType: number;
  creationDate: Date;
  /** `KLLIC_LIMIT_DATE`: expiry; null = none. */
  limitDate: Date | null;
  licensePeriodDays: number;
  /** `KLLIC_LIC_COUNT`: the limit. */
  licCount: number;
  /** `KLLIC_NHOSTS_ASCURRENT` / `_ASNEXT`: devices using it as active / reserve key. */
  hostsAsCurrent: number;
  hostsAsNext: number;
  majorVersion: string;
  installed: boolean;
  subscription: boolean;
}

export type LicenseKeyInput = Partial<Omit<LicenseKey, 'limitDate' | 'creationDate'>> & {
  limitDate?: Date | string | null;
  creationDate?: Date | string;
};

const DAY_MS = 86_400_000;

/** A server's key storage (main server and vASes), as `LicenseKeys.*` sees it. */
export class KscLicenseKeys {
  private readonly keys = new Map<string, LicenseKey>();

  /** A seeded site's main server holds one valid commercial key (SEED_LICENSE_KEY). */
  constructor(seed = true) {
    if (seed) {
      this.install({
        serial: SEED_LICENSE_KEY.serial,
        productName: SEED_LICENSE_KEY.productName,
        appId: SEED_LICENSE_KEY.appId,
        keyType: SEED_LICENSE_KEY.keyType,
        licCount: SEED_LICENSE_KEY.licCount,
        limitDate: new Date(Date.now() + SEED_LICENSE_KEY.validDays * DAY_MS),
        licensePeriodDays: SEED_LICENSE_KEY.validDays,
      });
    }
  }

  install(input: LicenseKeyInput): LicenseKey {
    const serial =
      input.serial ??
      `SIM${randomBytes(2).toString('hex').toUpperCase().slice(0, 1)}-${randomBytes(3).toString('hex').toUpperCase()}-${randomBytes(4).toString('hex').toUpperCase()}`;
    if (this.keys.has(serial)) throw new KscModelError('STDE_EXIST', `key ${serial} is already installed`);
    const date = (d: Date | string | null | undefined, fallback: Date | null): Date | null => {
      if (d === undefined) return fallback;
      if (d === null) return null;
      const v = d instanceof Date ? d : new Date(d);
      if (Number.isNaN(v.getTime())) throw new KscModelError('STDE_BADPARAM', `not a date: ${String(d)}`);
      return v;
    };
    const key: LicenseKey = {
      serial,
      vsId: input.vsId ?? MAIN_SERVER,
      productName: input.productName ?? SEED_LICENSE_KEY.productName,
      appId: input.appId ?? SEED_LICENSE_KEY.appId,
      keyType: input.keyType ?? 1,
      creationDate: date(input.creationDate, new Date())!,
      limitDate: date(input.limitDate, new Date(Date.now() + 365 * DAY_MS)),
      licensePeriodDays: input.licensePeriodDays ?? 365,
      licCount: input.licCount ?? 100,
      hostsAsCurrent: input.hostsAsCurrent ?? 0,
      hostsAsNext: input.hostsAsNext ?? 0,
      majorVersion: input.majorVersion ?? '6',
      installed: input.installed ?? true,
      subscription: input.subscription ?? input.keyType === 6,
    };
    this.keys.set(serial, key);
    return key;
  }

  require(serial: string): LicenseKey {
    const k = this.keys.get(serial);
    if (!k) throw new KscModelError('STDE_NOTFOUND', `key ${serial} not found`);
    return k;
  }

  /** Changes usage counters or dates of an installed key (admin API). */
  update(serial: string, patch: LicenseKeyInput): LicenseKey {
    const k = this.require(serial);
    const { serial: _s, limitDate, creationDate, ...rest } = patch;
    Object.assign(k, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    if (limitDate !== undefined) k.limitDate = limitDate === null ? null : new Date(limitDate);
    if (creationDate !== undefined) k.creationDate = new Date(creationDate);
    return k;
  }

  /** Expires a key (limit date in the past; a day ago unless told). */
  expire(serial: string, at: Date = new Date(Date.now() - DAY_MS)): LicenseKey {
    const k = this.require(serial);
    k.limitDate = at;
    return k;
  }

  remove(serial: string): void {
    this.require(serial);
    this.keys.delete(serial);
  }

  clear(vsId?: number): void {
    for (const [s, k] of this.keys) if (vsId === undefined || k.vsId === vsId) this.keys.delete(s);
  }

  of(vsId: number): LicenseKey[] {
    return [...this.keys.values()].filter((k) => k.vsId === vsId);
  }

  snapshot(): LicenseKey[] {
    return [...this.keys.values()];
  }
}

/** The key as `LicenseKeys.EnumKeys` / `GetKeyData` attributes (DOCUMENTED names, KSC13/a00115 and sample a00413). */
export function licenseKeyRecord(k: LicenseKey): Record<string, unknown> {
  return {
    KLLIC_SERIAL: k.serial,
    KLLIC_PROD_NAME: k.productName,
    KLLIC_APP_ID: k.appId,
    KLLIC_KEY_TYPE: k.keyType,
    KLLIC_CREATION_DATE: k.creationDate,
    KLLIC_LIMIT_DATE: k.limitDate ?? undefined,
    KLLIC_LICENSE_PERIOD: k.licensePeriodDays,
    KLLIC_LIC_COUNT: k.licCount,
    KLLIC_NHOSTS_ASCURRENT: k.hostsAsCurrent,
    KLLIC_NHOSTS_ASNEXT: k.hostsAsNext,
    KLLIC_MAJ_VER: k.majorVersion,
    KLLICSRV_KEY_INSTALLED: k.installed,
    KLLIC_LICTYPE_IS_SUBSCRIPTION: k.subscription,
  };
}
