import { HostGroupApi, KscHostInfo, KscSession } from '@tpo/ksc-client';

/** A device as the step needs it: its id on the session's server, display name, group, and whether a Network Agent reports from it. */
export interface KscHost {
  id: string;
  displayName: string;
  groupId?: number;
  /** KLHST_WKS_NAG_VERSION is set: the device is managed (a Network Agent connects to this server). */
  managed: boolean;
}

/** What the locator found for one VM on one server. */
export type Located = { host: KscHost } | { ambiguous: KscHost[] } | { missing: true };

export interface LocatableVm {
  biosUuid: string;
  name: string;
  address?: string;
}

const FIELDS = [
  'KLHST_WKS_HOSTNAME',
  'KLHST_WKS_DN',
  'KLHST_WKS_DNSNAME',
  'KLHST_WKS_GROUPID',
  'KLHST_WKS_IP_LONG',
  'KLHST_WKS_NAG_VERSION',
  'KLHST_WKS_LAST_VISIBLE',
];
/** Addresses per FindHosts call, so that one filter stays a reasonable size. */
const ADDRESSES_PER_SEARCH = 100;

/** IPv4 dotted quad → KLHST_WKS_IP_LONG (unsigned, host order). */
export function ipToLong(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function toHost(h: KscHostInfo): KscHost {
  return {
    id: h.KLHST_WKS_HOSTNAME!,
    displayName: h.KLHST_WKS_DN ?? '',
    groupId: h.KLHST_WKS_GROUPID,
    managed: typeof h.KLHST_WKS_NAG_VERSION === 'string' && h.KLHST_WKS_NAG_VERSION !== '',
  };
}

/**
 * Finds each VM's device on the session's server by its IPv4 address (KLHST_WKS_IP_LONG, ksc-openapi
 * §3.2) AND its name (display name or DNS name), never by name alone: KSC does not expose the BIOS
 * UUID, and names repeat. Tenants' private networks overlap, so a device at the same address with
 * another name is another machine, not this VM (which then counts as missing). Two devices with
 * both the address and the name make the VM ambiguous (the admin must clean up the duplicate
 * records). One FindHosts per 100 addresses with an OR filter, read through the ChunkAccessor.
 */
export async function locateHosts(session: KscSession, vms: LocatableVm[]): Promise<Map<string, Located>> {
  const byIp = new Map<number, KscHostInfo[]>();
  const ips = [
    ...new Set(
      vms.map((vm) => (vm.address ? ipToLong(vm.address) : undefined)).filter((n): n is number => n !== undefined),
    ),
  ];
  const hostGroup = new HostGroupApi(session);
  for (let i = 0; i < ips.length; i += ADDRESSES_PER_SEARCH) {
    const terms = ips.slice(i, i + ADDRESSES_PER_SEARCH).map((n) => `(KLHST_WKS_IP_LONG = ${n})`);
    const filter = terms.length === 1 ? terms[0] : `(|${terms.join('')})`;
    for await (const h of hostGroup.iterateHosts(filter, FIELDS, 200)) {
      if (typeof h.KLHST_WKS_HOSTNAME !== 'string' || typeof h.KLHST_WKS_IP_LONG !== 'number') continue;
      byIp.set(h.KLHST_WKS_IP_LONG, [...(byIp.get(h.KLHST_WKS_IP_LONG) ?? []), h]);
    }
  }
  const out = new Map<string, Located>();
  for (const vm of vms) {
    const ip = vm.address ? ipToLong(vm.address) : undefined;
    const found = ip === undefined ? [] : (byIp.get(ip) ?? []);
    const name = vm.name.toLowerCase();
    const named = found.filter(
      (h) => (h.KLHST_WKS_DN ?? '').toLowerCase() === name || (h.KLHST_WKS_DNSNAME ?? '').toLowerCase() === name,
    );
    if (named.length === 0) out.set(vm.biosUuid, { missing: true });
    else if (named.length === 1) out.set(vm.biosUuid, { host: toHost(named[0]) });
    else out.set(vm.biosUuid, { ambiguous: named.map(toHost) });
  }
  return out;
}

const NAMES_PER_SEARCH = 100;

/**
 * Devices of the session's server whose display name (KLHST_WKS_DN) is one of `names`, keyed by
 * lower-cased name (the most recently seen of several wins). Only for callers that know nothing but
 * the VM names (agent release inside a tenant's own vAS, where names are the tenant's); the install
 * step locates by address and name (locateHosts). VM names are host names: no escaping needed.
 */
export async function findHostsByName(session: KscSession, names: string[]): Promise<Map<string, KscHost>> {
  const hostGroup = new HostGroupApi(session);
  const unique = [...new Map(names.map((n) => [n.toLowerCase(), n])).values()];
  const best = new Map<string, KscHostInfo>();
  const seen = (h: KscHostInfo) => (h.KLHST_WKS_LAST_VISIBLE instanceof Date ? h.KLHST_WKS_LAST_VISIBLE.getTime() : 0);
  for (let i = 0; i < unique.length; i += NAMES_PER_SEARCH) {
    const terms = unique.slice(i, i + NAMES_PER_SEARCH).map((n) => `(KLHST_WKS_DN="${n}")`);
    for await (const h of hostGroup.iterateHosts(terms.length === 1 ? terms[0] : `(|${terms.join('')})`, FIELDS, 200)) {
      if (typeof h.KLHST_WKS_DN !== 'string' || typeof h.KLHST_WKS_HOSTNAME !== 'string') continue;
      const key = h.KLHST_WKS_DN.toLowerCase();
      const prev = best.get(key);
      if (!prev || seen(h) > seen(prev)) best.set(key, h);
    }
  }
  return new Map([...best].map(([k, h]) => [k, toHost(h)]));
}
