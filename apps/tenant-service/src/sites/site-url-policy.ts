import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AddressClass, classifyAddress } from '@tpo/kaspersky-http';

export type { AddressClass };

/** One classification for registration and connect time (kaspersky-http re-checks on every connection). */
export const classify = classifyAddress;

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/**
 * API7 (SSRF): site addresses are admin-supplied and the platform connects to them with provider
 * credentials, so they must be https URLs whose host (and every address it resolves to) is not a
 * link-local, cloud-metadata, unspecified or multicast address. Loopback is refused unless allowed
 * (the local platform's simulator); private ranges are where KSC servers normally live.
 */
export async function checkSiteUrl(
  raw: string,
  allow: ReadonlySet<AddressClass>,
  resolve: (host: string) => Promise<string[]> = defaultResolve,
): Promise<string | undefined> {
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
