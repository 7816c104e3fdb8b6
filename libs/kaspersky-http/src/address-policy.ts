import { lookup as dnsLookup, LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** What kind of address a host resolves to (API7 / SSRF policy). */
export type AddressClass = 'loopback' | 'link-local' | 'metadata' | 'unspecified' | 'multicast' | 'private' | 'public';

const blocks: [AddressClass, BlockList][] = (() => {
  const make = (entries: [string, number, 'ipv4' | 'ipv6'][]) => {
    const b = new BlockList();
    for (const [net, prefix, type] of entries) b.addSubnet(net, prefix, type);
    return b;
  };
  return [
    [
      'metadata',
      make([
        ['169.254.169.254', 32, 'ipv4'],
        ['fd00:ec2::254', 128, 'ipv6'],
      ]),
    ],
    [
      'loopback',
      make([
        ['127.0.0.0', 8, 'ipv4'],
        ['::1', 128, 'ipv6'],
      ]),
    ],
    [
      'link-local',
      make([
        ['169.254.0.0', 16, 'ipv4'],
        ['fe80::', 10, 'ipv6'],
      ]),
    ],
    [
      'unspecified',
      make([
        ['0.0.0.0', 8, 'ipv4'],
        ['::', 128, 'ipv6'],
      ]),
    ],
    [
      'multicast',
      make([
        ['224.0.0.0', 4, 'ipv4'],
        ['ff00::', 8, 'ipv6'],
      ]),
    ],
    [
      'private',
      make([
        ['10.0.0.0', 8, 'ipv4'],
        ['172.16.0.0', 12, 'ipv4'],
        ['192.168.0.0', 16, 'ipv4'],
        ['100.64.0.0', 10, 'ipv4'],
        ['fc00::', 7, 'ipv6'],
      ]),
    ],
  ];
})();

export function classifyAddress(ip: string): AddressClass {
  const plain = ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  const type = isIP(plain) === 6 ? 'ipv6' : 'ipv4';
  for (const [cls, list] of blocks) if (list.check(plain, type)) return cls;
  return 'public';
}

/**
 * Which addresses the platform may connect to with provider credentials: public and private
 * ranges (where KSC servers live); loopback / link-local only when allowed (a local simulator);
 * cloud metadata, unspecified and multicast never.
 */
export function addressRefusal(ip: string, allow: ReadonlySet<AddressClass>): string | undefined {
  const cls = classifyAddress(ip);
  if (cls === 'metadata' || cls === 'unspecified' || cls === 'multicast') return `${ip} is a ${cls} address`;
  if (cls !== 'public' && cls !== 'private' && !allow.has(cls)) return `${ip} is a ${cls} address`;
  return undefined;
}

export class AddressNotAllowedError extends Error {
  readonly code = 'EADDRNOTALLOWED';
  constructor(
    readonly host: string,
    reason: string,
  ) {
    super(`connection to ${host} refused by the address policy: ${reason}`);
    this.name = 'AddressNotAllowedError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` for sockets that re-checks the policy on the addresses actually resolved at
 * connect time: a name that passed the check at registration and later resolves elsewhere (DNS
 * rebinding) is refused here, before any byte is sent.
 */
export function guardedLookup(allow: ReadonlySet<AddressClass>) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      for (const a of list) {
        const reason = addressRefusal(a.address, allow);
        if (reason) return callback(new AddressNotAllowedError(hostname, reason) as NodeJS.ErrnoException, []);
      }
      if ((options as LookupAllOptions).all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
