import { KscTyped, KscValue } from './ksc-codec';
import { KscProtocolError } from './errors';
import type { KscReply } from './ksc-client';

/**
 * Typed views of KSC attribute records. Every field is optional: servers omit NULL fields and
 * versions differ (ksc-openapi.md §4.1); unknown attributes stay available by name.
 */
export type KscRecord = Record<string, KscValue | undefined>;

export interface KscVServerInfo extends KscRecord {
  KLVSRV_ID?: number;
  KLVSRV_UID?: string;
  KLVSRV_GRP?: number;
  KLVSRV_DN?: string;
  KLVSRV_GROUPS?: number;
  KLVSRV_SUPER?: number;
  KLVSRV_UNASSIGNED?: number;
  KLVSRV_ENABLED?: boolean;
  KLVSRV_LIC_ENABLED?: boolean;
  KLVSRV_HST_UID?: string;
  KLVSRV_CREATED?: Date | null;
  KLVSRV_CUSTOM_INFO?: string;
  KLVSRV_VS_DESCR?: string;
  KLVSRV_NF_CUSTOM_URL?: string;
  KLVSRV_NEW_HOSTS_PROHIBITED?: boolean;
}

export interface KscHostInfo extends KscRecord {
  KLHST_WKS_HOSTNAME?: string;
  KLHST_WKS_DN?: string;
  KLHST_WKS_GROUPID?: number;
  KLHST_WKS_FQDN?: string;
  KLHST_WKS_DNSNAME?: string;
  KLHST_WKS_DNSDOMAIN?: string;
  KLHST_WKS_WINHOSTNAME?: string;
  KLHST_WKS_WINDOMAIN?: string;
  KLHST_WKS_IP_LONG?: number;
  KLHST_WKS_STATUS?: number;
  KLHST_WKS_OS_NAME?: string;
  KLHST_WKS_NAG_VERSION?: string;
  KLHST_WKS_LAST_VISIBLE?: Date | null;
  KLHST_WKS_LAST_NAGENT_CONNECTED?: Date | null;
  KLHST_WKS_FROM_UNASSIGNED?: boolean;
}

export interface KscGroupInfo extends KscRecord {
  id?: number;
  name?: string;
  parentId?: number;
  creationDate?: Date | null;
  hostsNum?: number;
  childGroupsNum?: number;
  grp_full_name?: string;
  KLGRP_CHLDHST_CNT?: number;
  KLVSRV_ID?: number;
  KLVSRV_DN?: string;
}

/** GetPackages/GetPackageInfo2 give KLPKG_*, GetPackages2 KLPKG_NPI_* (ksc-openapi.md Q10). */
export interface KscPackageInfo extends KscRecord {
  KLPKG_ID?: number;
  KLPKG_DN?: string;
  KLHST_WKS_PRODUCT_NAME?: string;
  KLHST_WKS_PRODUCT_VERSION?: string;
  KLPKG_NPI_PKGID?: number;
  KLPKG_NPI_NAME?: string;
}

/** ASSUMPTION (ksc-openapi.md §3.6 / §4.3): event field names beyond task_new_state are KSC's usual event attributes. */
export interface KscTaskEvent extends KscRecord {
  event_type?: string;
  task_new_state?: number;
  hostname?: string;
  hostdn?: string;
  rise_time?: Date | null;
  descr?: string;
}

export interface KscUserInfo extends KscRecord {
  KLSPL_USER_ID?: number;
  KLSPL_USER_NAME?: string;
  KLSPL_USER_ENABLED?: boolean;
}

/** Common policy attributes (ksc-openapi-addendum.md §2.1, DOCUMENTED KSC15/a00112). Settings are not attributes. */
export interface KscPolicyInfo extends KscRecord {
  KLPOL_ID?: number;
  KLPOL_DN?: string;
  KLPOL_PRODUCT?: string;
  KLPOL_VERSION?: string;
  KLPOL_CREATED?: Date;
  KLPOL_MODIFIED?: Date;
  KLPOL_GROUP_ID?: number;
  KLPOL_ACTIVE?: boolean;
  KLPOL_ROAMING?: boolean;
  KLPOL_ACCEPT_PARENT?: boolean;
  KLPOL_FORCE_DISTRIB2CHILDREN?: boolean;
  KLPOL_FORCED?: boolean;
  KLPOL_INHERITED?: boolean;
}

export function isRecord(v: KscValue | undefined): v is { [key: string]: KscValue } {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Date) &&
    !Buffer.isBuffer(v) &&
    !(v instanceof KscTyped)
  );
}

export function asRecord<T extends KscRecord = KscRecord>(v: KscValue | undefined): T {
  return (isRecord(v) ? v : {}) as T;
}

export function asRecords<T extends KscRecord = KscRecord>(v: KscValue | undefined): T[] {
  return Array.isArray(v) ? v.filter(isRecord).map((x) => x as T) : [];
}

export function requireNumber(reply: KscReply, key: string, method: string): number {
  const v = reply[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new KscProtocolError(`${method}: no number in ${key}`);
}

export function requireString(reply: KscReply, key: string, method: string): string {
  const v = reply[key];
  if (typeof v === 'string' && v !== '') return v;
  throw new KscProtocolError(`${method}: no ${key} in the answer`);
}
