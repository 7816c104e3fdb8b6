import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export type AddressClass = 'loopback' | 'link-local' | 'metadata' | 'unspecified' | 'multicast' | 'private' | 'public';

const blocks: [AddressClass, BlockList][] = (() => {
  const make = (entries: [string, number, 'ipv4' | 'ipv6'][]) => {
    const b = new BlockList();
    for (const [net, prefix, type] of entries) b.addSubnet(net, prefix, type);
    return b;
  };
  return [
    ['metadata', make([['169.254.169.254', 32, 'ipv4'], ['fd00:ec2::254', 128, 'ipv6']])],
    ['loopback', make([['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']])],
    ['link-local', make([['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']])],
    ['unspecified', make([['0.0.0.0', 8, 'ipv4'], ['::', 128, 'ipv6']])],
    ['multicast', make([['224.0.0.0', 4, 'ipv4'], ['ff00::', 8, 'ipv6']])],
    ['private', make([['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['100.64.0.0', 10, 'ipv4'], ['fc00::', 7, 'ipv6']])],
  ];
})();

export function classify(ip: string): AddressClass {
  const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  for (const [cls, list] of blocks) if (list.check(ip, type)) return cls;
  return 'public';
}

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/**
 * API7 (SSRF): site addresses are admin-supplied and the platform connects to them with provider
 * credentials, so they must be https URLs whose host (and every address it resolves to) is not a
 * link-local, cloud-metadata, unspecified or multicast address. Loopback is refused unless allowed
 * (the local platform's simulator); private ranges are where KSC servers normally live.
 */
export async function checkSiteUrl(raw: string, allow: ReadonlySet<AddressClass>, resolve: (host: string) => Promise<string[]> = defaultResolve): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${raw}" is not a URL`;
  }
  if (url.protocol !== 'https:') return `${raw}: only https is allowed (got ${url.protocol})`;
  if (url.username || url.password) return `${raw}: credentials in the URL are not allowed`;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (METADATA_HOSTS.has(host.toLowerCase())) return `${raw}: cloud metadata hosts are not allowed`;
  const addresses = isIP(host) ? [host] : await resolve(host).catch(() => []);
  if (addresses.length === 0) return `${raw}: host "${host}" does not resolve`;
  for (const address of addresses) {
    const cls = classify(address);
    const refusedAlways = cls === 'metadata' || cls === 'unspecified' || cls === 'multicast';
    if (refusedAlways || (cls !== 'public' && cls !== 'private' && !allow.has(cls))) {
      return `${raw}: ${host} resolves to a ${cls} address (${address}), which is not allowed`;
    }
  }
  return undefined;
}

async function defaultResolve(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address);
}
