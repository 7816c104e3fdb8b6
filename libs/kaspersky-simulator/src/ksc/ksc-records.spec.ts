import { DEFAULT_ASSUMPTIONS } from '../config/assumptions';
import { SEED_LIGHT_AGENT } from '../config/seed';
import { KscModel, MAIN_SERVER, NETWORK_AGENT_PRODUCT } from './ksc-model';
import { hostAttribute, hostRecord, ipToLong } from './ksc-records';

describe('host records', () => {
  const ksc = new KscModel(() => DEFAULT_ASSUMPTIONS, { name: 'provider', password: 'x' });
  const vs = ksc.addVServer('Tenant A', 0);
  const hosts = [
    ksc.addHost(MAIN_SERVER, {
      groupId: 1,
      dn: 'vm-1',
      fqdn: 'vm-1.example',
      dnsName: 'vm-1',
      dnsDomain: 'example',
      ip: '10.0.0.1',
      osFamily: 'linux',
      nagentVersion: '15.1',
      products: [NETWORK_AGENT_PRODUCT],
    }),
    ksc.addHost(vs.id, {
      groupId: vs.unassignedId,
      dn: 'a-very-long-windows-host-name',
      fqdn: 'w.example',
      dnsName: 'a-very-long-windows-host-name',
      dnsDomain: 'example',
      ip: '10.0.0.2',
      osFamily: 'windows',
      products: [NETWORK_AGENT_PRODUCT, SEED_LIGHT_AGENT.windows.product],
    }),
    ksc.addHost(vs.id, { groupId: vs.groupsId, dn: 'bare', fqdn: '', dnsName: 'bare', dnsDomain: '' }),
  ];

  it('gives each attribute alone exactly as the whole record has it (what FindHosts filters on)', () => {
    for (const h of hosts) {
      const record = hostRecord(ksc, h);
      for (const [name, value] of Object.entries(record)) expect(hostAttribute(ksc, h, name)).toEqual(value);
    }
  });

  it('has no attribute beyond the record, also none inherited from Object', () => {
    for (const name of ['KLHST_WKS_NO_SUCH', 'constructor', 'toString', '__proto__'])
      expect(hostAttribute(ksc, hosts[0], name)).toBeUndefined();
  });

  it('keeps the record as before: its attributes in order, the status bits, the unassigned flag', () => {
    const [linux, windows, bare] = hosts.map((h) => hostRecord(ksc, h));
    expect(Object.keys(linux)).toEqual([
      'KLHST_WKS_HOSTNAME',
      'KLHST_WKS_DN',
      'KLHST_WKS_GROUPID',
      'KLHST_WKS_FQDN',
      'KLHST_WKS_DNSNAME',
      'KLHST_WKS_DNSDOMAIN',
      'KLHST_WKS_WINHOSTNAME',
      'KLHST_WKS_WINDOMAIN',
      'KLHST_WKS_IP_LONG',
      'KLHST_WKS_OS_NAME',
      'KLHST_WKS_STATUS',
      'KLHST_WKS_NAG_VERSION',
      'KLHST_WKS_LAST_VISIBLE',
      'KLHST_WKS_LAST_NAGENT_CONNECTED',
      'KLHST_WKS_FROM_UNASSIGNED',
      'KLHST_INSTANCEID',
      'KLVSRV_ID',
    ]);
    expect(linux).toMatchObject({
      KLHST_WKS_IP_LONG: 0x0a000001,
      KLHST_WKS_STATUS: 1 | 4 | 8,
      KLHST_WKS_FROM_UNASSIGNED: true,
    });
    expect(windows).toMatchObject({
      KLHST_WKS_WINHOSTNAME: 'A-VERY-LONG-WIN',
      KLHST_WKS_STATUS: 1 | 4 | 8 | 16,
      KLHST_WKS_FROM_UNASSIGNED: true,
      KLVSRV_ID: vs.id,
    });
    expect(bare).toMatchObject({ KLHST_WKS_STATUS: 1, KLHST_WKS_FROM_UNASSIGNED: false, KLHST_WKS_IP_LONG: undefined });
  });
});

describe('ipToLong (KLHST_WKS_IP_LONG)', () => {
  it('reads a dotted IPv4 address as an unsigned 32-bit number, the same on every call', () => {
    for (let i = 0; i < 2; i++) {
      expect(ipToLong('10.0.0.1')).toBe(167772161);
      expect(ipToLong('255.255.255.255')).toBe(4294967295);
      expect(ipToLong('0.0.0.0')).toBe(0);
    }
  });

  it('has no value for anything that is not four octets, also when asked again', () => {
    for (let i = 0; i < 2; i++)
      for (const bad of [undefined, '', '10.0.0', '10.0.0.1.2', '10.0.0.256', '10.0.-1.1', 'a.b.c.d', '10.0.0.1.5'])
        expect(ipToLong(bad)).toBeUndefined();
  });
});
