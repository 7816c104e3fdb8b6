import { GroupSyncIteratorApi } from './group-sync-iterator-api';
import { KscProtocolError } from './errors';
import { asRecord, KscRecord } from './ksc-records';
import { KscSession } from './ksc-session';

/**
 * Key attributes the platform reads (ksc-openapi-addendum.md §3.2): DOCUMENTED in the key attribute
 * list (KSC13/a00115) and the official sample (KSC13/a00413). Servers leave out attributes a key
 * does not have.
 */
export const LICENSE_KEY_FIELDS = [
  'KLLIC_SERIAL',
  'KLLIC_PROD_NAME',
  'KLLIC_APP_ID',
  'KLLIC_KEY_TYPE',
  'KLLIC_CREATION_DATE',
  'KLLIC_LIMIT_DATE',
  'KLLIC_LICENSE_PERIOD',
  'KLLIC_LIC_COUNT',
  'KLLIC_NHOSTS_ASCURRENT',
  'KLLIC_NHOSTS_ASNEXT',
  'KLLIC_MAJ_VER',
  'KLLICSRV_KEY_INSTALLED',
  'KLLIC_LICTYPE_IS_SUBSCRIPTION',
  'KLLIC_SUBSCRINFO_ENDDATE',
  'KLLIC_SUBSCRINFO_STATE',
] as const;

/** `KLLIC_KEY_TYPE` values (DOCUMENTED, KSC13/a00115). */
export const LICENSE_KEY_TYPES: Record<number, string> = {
  1: 'commercial',
  2: 'beta',
  3: 'trial',
  4: 'test',
  5: 'OEM',
  6: 'subscription',
};

export interface KscLicenseKeyRecord extends KscRecord {
  KLLIC_SERIAL?: string;
  KLLIC_PROD_NAME?: string;
  KLLIC_APP_ID?: number;
  KLLIC_KEY_TYPE?: number;
  KLLIC_CREATION_DATE?: Date | null;
  KLLIC_LIMIT_DATE?: Date | null;
  KLLIC_LICENSE_PERIOD?: number;
  KLLIC_LIC_COUNT?: number;
  KLLIC_NHOSTS_ASCURRENT?: number;
  KLLIC_NHOSTS_ASNEXT?: number;
  KLLIC_MAJ_VER?: string;
  KLLICSRV_KEY_INSTALLED?: boolean;
  KLLIC_LICTYPE_IS_SUBSCRIPTION?: boolean;
  KLLIC_SUBSCRINFO_ENDDATE?: Date | null;
  KLLIC_SUBSCRINFO_STATE?: number;
}

/** One key of a server's key storage, in the platform's words (the raw record stays available). */
export interface LicenseKeyInfo {
  serial: string;
  productName?: string;
  appId?: number;
  keyType?: number;
  keyTypeName?: string;
  /** `KLLIC_LIMIT_DATE` (or, for a subscription, `KLLIC_SUBSCRINFO_ENDDATE` when no limit date is given). */
  expiresAt?: Date;
  /** `KLLIC_LIC_COUNT`: how many devices the key covers. */
  limit?: number;
  /** `KLLIC_NHOSTS_ASCURRENT`: devices using it as the active key (for a KSV key: SVMs, addendum §3.2 ASSUMPTION). */
  inUse?: number;
  /** `KLLIC_NHOSTS_ASNEXT`: devices holding it as the reserve key. */
  reserve?: number;
  installed?: boolean;
  subscription?: boolean;
  raw: KscLicenseKeyRecord;
}

const date = (v: unknown): Date | undefined => (v instanceof Date && !Number.isNaN(v.getTime()) ? v : undefined);
const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;

export function toLicenseKeyInfo(r: KscLicenseKeyRecord): LicenseKeyInfo {
  if (typeof r.KLLIC_SERIAL !== 'string' || r.KLLIC_SERIAL === '')
    throw new KscProtocolError('LicenseKeys: a key without KLLIC_SERIAL');
  const keyType = num(r.KLLIC_KEY_TYPE);
  return {
    serial: r.KLLIC_SERIAL,
    productName: typeof r.KLLIC_PROD_NAME === 'string' ? r.KLLIC_PROD_NAME : undefined,
    appId: num(r.KLLIC_APP_ID),
    keyType,
    keyTypeName: keyType === undefined ? undefined : LICENSE_KEY_TYPES[keyType],
    expiresAt:
      date(r.KLLIC_LIMIT_DATE) ??
      (r.KLLIC_LICTYPE_IS_SUBSCRIPTION === true ? date(r.KLLIC_SUBSCRINFO_ENDDATE) : undefined),
    limit: num(r.KLLIC_LIC_COUNT),
    inUse: num(r.KLLIC_NHOSTS_ASCURRENT),
    reserve: num(r.KLLIC_NHOSTS_ASNEXT),
    installed: typeof r.KLLICSRV_KEY_INSTALLED === 'boolean' ? r.KLLICSRV_KEY_INSTALLED : undefined,
    subscription: typeof r.KLLIC_LICTYPE_IS_SUBSCRIPTION === 'boolean' ? r.KLLIC_LICTYPE_IS_SUBSCRIPTION : undefined,
    raw: r,
  };
}

/** Whether the key has expired at `now` (a key without an expiry date never does). */
export function isLicenseKeyExpired(key: LicenseKeyInfo, now = new Date()): boolean {
  return key.expiresAt !== undefined && key.expiresAt.getTime() <= now.getTime();
}

/**
 * LicenseKeys (ksc-openapi-addendum.md §3.2, DOCUMENTED KSC13/a00502, KSC16/a00569) on the session's
 * server: the main server's key storage is where KSV LA keys live (§3.1). Read-only here.
 */
export class LicenseKeysApi {
  private readonly iterators: GroupSyncIteratorApi;

  constructor(private readonly session: KscSession) {
    this.iterators = new GroupSyncIteratorApi(session);
  }

  /**
   * `EnumKeys(pFields, pFieldsToOrder, pOptions, lTimeoutSec)` → `lKeyCount`, `wstrIterator`, then the
   * iterator read to its end and released. EnumKeys only opens a read cursor, so it may be repeated.
   */
  async enumKeys(
    o: { fields?: readonly string[]; pageSize?: number; timeoutSec?: number } = {},
  ): Promise<LicenseKeyInfo[]> {
    const fields = [...(o.fields ?? LICENSE_KEY_FIELDS)];
    if (!fields.includes('KLLIC_SERIAL')) fields.unshift('KLLIC_SERIAL');
    const r = await this.session.call(
      'LicenseKeys.EnumKeys',
      { pFields: fields, pFieldsToOrder: [], pOptions: {}, lTimeoutSec: o.timeoutSec ?? 300 },
      { idempotent: true },
    );
    if (typeof r.wstrIterator !== 'string' || r.wstrIterator === '')
      throw new KscProtocolError('LicenseKeys.EnumKeys: no wstrIterator in the answer');
    const out: LicenseKeyInfo[] = [];
    for await (const item of this.iterators.iterate<KscLicenseKeyRecord>(r.wstrIterator, o.pageSize ?? 100))
      out.push(toLicenseKeyInfo(item));
    return out;
  }

  /** `GetKeyData(pKeyInfo)`: `KLLIC_SERIAL` plus every attribute wanted (never `KLLICSRV_KEYDATA`, the key body). */
  async getKeyData(serial: string, fields: readonly string[] = LICENSE_KEY_FIELDS): Promise<LicenseKeyInfo> {
    const info: Record<string, unknown> = Object.fromEntries(
      fields.filter((f) => f !== 'KLLICSRV_KEYDATA').map((f) => [f, 0]),
    );
    info.KLLIC_SERIAL = serial;
    const r = await this.session.call('LicenseKeys.GetKeyData', { pKeyInfo: info }, { idempotent: true });
    return toLicenseKeyInfo(asRecord<KscLicenseKeyRecord>(r.PxgRetVal));
  }
}
