import { Group, Host, KscModel, LIGHT_AGENT_PRODUCTS, MAIN_SERVER, Package, Policy, User, VServer } from './ksc-model';
import { KscLong } from './ksc-codec';
import { hasNetworkAgent } from './ksc-task-effects';

/** Model objects as KSC attribute records (what Find*, Get*Info and GetVServers return). */

export function vserverRecord(vs: VServer, extras: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    KLVSRV_ID: vs.id,
    KLVSRV_UID: vs.uid,
    KLVSRV_GRP: vs.parentGroupId,
    KLVSRV_DN: vs.dn,
    KLVSRV_GROUPS: vs.groupsId,
    KLVSRV_SUPER: vs.superId,
    KLVSRV_UNASSIGNED: vs.unassignedId,
    KLVSRV_ENABLED: vs.enabled,
    KLVSRV_LIC_ENABLED: vs.licEnabled,
    KLVSRV_HST_UID: vs.hostUid,
    KLVSRV_CREATED: vs.created,
    KLVSRV_VS_DESCR: vs.description,
    KLVSRV_CUSTOM_INFO: '',
    KLVSRV_NF_CUSTOM_URL: '',
    KLVSRV_NEW_HOSTS_PROHIBITED: false,
    KLVSRV_TOO_MUCH_HOSTS: false,
    ...extras,
  };
}

/**
 * A dotted IPv4 address as KLHST_WKS_IP_LONG, undefined for anything else. Remembered per string: a
 * main-server FindHosts by address reads it for every host of the site on every call.
 */
export function ipToLong(ip: string | undefined): number | undefined {
  if (ip === undefined) return undefined;
  let value = IP_LONGS.get(ip);
  if (value === undefined && !IP_LONGS.has(ip)) {
    if (IP_LONGS.size >= IP_LONGS_MAX) IP_LONGS.clear();
    value = parseIpToLong(ip);
    IP_LONGS.set(ip, value);
  }
  return value;
}

const IP_LONGS = new Map<string, number | undefined>();
const IP_LONGS_MAX = 100_000;

function parseIpToLong(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/**
 * A host's attributes, each computed from the model when asked (hostRecord builds them all; a Find
 * filter reads only the one or two it names, hostAttribute).
 * ASSUMPTION (ksc-openapi.md §3.2): KLHST_WKS_STATUS bits are modelled as 1 visible, 4 Network
 * Agent installed, 8 Network Agent alive, 16 protection (Light Agent) installed.
 */
const HOST_ATTRIBUTES: Record<string, (ksc: KscModel, h: Host) => unknown> = {
  KLHST_WKS_HOSTNAME: (_ksc, h) => h.hostName,
  KLHST_WKS_DN: (_ksc, h) => h.dn,
  KLHST_WKS_GROUPID: (_ksc, h) => h.groupId,
  KLHST_WKS_FQDN: (_ksc, h) => h.fqdn,
  KLHST_WKS_DNSNAME: (_ksc, h) => h.dnsName,
  KLHST_WKS_DNSDOMAIN: (_ksc, h) => h.dnsDomain,
  KLHST_WKS_WINHOSTNAME: (_ksc, h) => h.dnsName.toUpperCase().slice(0, 15),
  KLHST_WKS_WINDOMAIN: () => '',
  KLHST_WKS_IP_LONG: (_ksc, h) => ipToLong(h.ip),
  // ASSUMPTION: OS names as a console shows them; only the attribute name is documented (§3.2).
  KLHST_WKS_OS_NAME: (_ksc, h) =>
    h.osFamily === 'windows'
      ? 'Microsoft Windows Server 2022'
      : h.osFamily === 'linux'
        ? 'Ubuntu 22.04 LTS'
        : undefined,
  KLHST_WKS_STATUS: (_ksc, h) =>
    1 | (hasNetworkAgent(h) ? 4 | 8 : 0) | (h.products.some((p) => LIGHT_AGENT_PRODUCTS.includes(p)) ? 16 : 0),
  KLHST_WKS_NAG_VERSION: (_ksc, h) => h.nagentVersion,
  KLHST_WKS_LAST_VISIBLE: (_ksc, h) => h.lastVisible,
  KLHST_WKS_LAST_NAGENT_CONNECTED: (_ksc, h) => (hasNetworkAgent(h) ? h.lastVisible : undefined),
  KLHST_WKS_FROM_UNASSIGNED: (ksc, h) => {
    const vs = h.vsId === MAIN_SERVER ? undefined : ksc.vservers.get(h.vsId);
    return h.groupId === (vs ? vs.unassignedId : 1);
  },
  KLHST_INSTANCEID: (_ksc, h) => h.hostName,
  KLVSRV_ID: (_ksc, h) => h.vsId,
};

export function hostRecord(ksc: KscModel, h: Host): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(HOST_ATTRIBUTES)) record[name] = value(ksc, h);
  return record;
}

/** One attribute of hostRecord (undefined for a name it does not have). */
export function hostAttribute(ksc: KscModel, h: Host, name: string): unknown {
  return Object.hasOwn(HOST_ATTRIBUTES, name) ? HOST_ATTRIBUTES[name](ksc, h) : undefined;
}

export function groupRecord(ksc: KscModel, g: Group): Record<string, unknown> {
  const all = [...ksc.groups.values()];
  const descendants = (id: number): Group[] =>
    all.filter((x) => x.parentId === id).flatMap((x) => [x, ...descendants(x.id)]);
  const subtree = [g, ...descendants(g.id)];
  const ids = new Set(subtree.map((x) => x.id));
  const hosts = [...ksc.hosts.values()];
  const path: string[] = [];
  for (let cur: Group | undefined = g; cur; cur = ksc.groups.get(cur.parentId)) path.unshift(cur.name);
  const vs = g.vsId === MAIN_SERVER ? undefined : ksc.vservers.get(g.vsId);
  return {
    id: g.id,
    name: g.name,
    parentId: g.parentId,
    creationDate: g.created,
    lastUpdate: g.created,
    hostsNum: hosts.filter((h) => h.groupId === g.id).length,
    childGroupsNum: all.filter((x) => x.parentId === g.id).length,
    grp_full_name: path.join('/'),
    level: path.length - 1,
    KLGRP_CHLDHST_CNT: hosts.filter((h) => ids.has(h.groupId)).length,
    KLGRP_CHLDGRP_CNT: subtree.length - 1,
    KLVSRV_ID: g.vsId,
    KLVSRV_DN: vs?.dn,
  };
}

/** GetPackages / GetPackageInfo2: the documented KLPKG_* attribute list (ksc-openapi.md §3.7). */
export function packageRecord(p: Package): Record<string, unknown> {
  return {
    KLPKG_ID: p.id,
    KLPKG_DN: p.name,
    KLHST_WKS_PRODUCT_NAME: p.productName,
    KLHST_WKS_PRODUCT_VERSION: p.productVersion,
    KLPKG_PRODUCT_DN: p.name.replace(/\s*\([^)]*\)$/, ''),
    KLPKG_PRODUCT_DV: p.productVersion,
    KLPKG_SIZE: new KscLong(packageSize(p)),
  };
}

/**
 * GetPackages2. ASSUMPTION (ksc-openapi.md §3.7 / Q10): only KLPKG_NPI_PKGID is confirmed; the
 * other KLPKG_NPI_* label names are placeholders.
 */
export function packageRecord2(p: Package): Record<string, unknown> {
  return {
    KLPKG_NPI_PKGID: p.id,
    KLPKG_NPI_NAME: p.name,
    KLPKG_NPI_PRODUCT_NAME: p.productName,
    KLPKG_NPI_PRODUCT_VERSION: p.productVersion,
    KLPKG_NPI_SIZE: new KscLong(packageSize(p)),
  };
}

function packageSize(p: Package): number {
  return 50_000_000 + p.productName.length * 1_000_003;
}

/** ASSUMPTION (ksc-openapi.md §3.8): GetUsers attribute names follow the AddUser input names. */
export function userRecord(u: User, extras: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    KLSPL_USER_ID: u.id,
    KLSPL_USER_NAME: u.name,
    KLSPL_USER_ENABLED: u.enabled,
    KLSPL_USER_GROUPS: u.securityGroups,
    ...extras,
  };
}

/** Common policy attributes (ksc-openapi-addendum.md §2.1, DOCUMENTED KSC15/a00112). Settings are not attributes. */
export function policyRecord(p: Policy): Record<string, unknown> {
  return {
    KLPOL_ID: p.id,
    KLPOL_DN: p.name,
    KLPOL_PRODUCT: p.productName,
    KLPOL_VERSION: p.productVersion,
    KLPOL_CREATED: p.created,
    KLPOL_MODIFIED: p.modified,
    KLPOL_GROUP_ID: p.groupId,
    KLPOL_ACTIVE: p.active,
    KLPOL_ROAMING: p.roaming,
    KLPOL_ACCEPT_PARENT: p.acceptParent,
    KLPOL_FORCE_DISTRIB2CHILDREN: p.forceDistribToChildren,
    KLPOL_FORCED: false,
  };
}
