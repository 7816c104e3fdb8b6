import { checkSiteUrl, classify } from './site-url-policy';

const none = new Set<never>();
const resolveTo =
  (...ips: string[]) =>
  async () =>
    ips;

describe('API7: site URL policy (SSRF)', () => {
  it('classifies addresses', () => {
    expect(classify('169.254.169.254')).toBe('metadata');
    expect(classify('169.254.10.1')).toBe('link-local');
    expect(classify('127.0.0.1')).toBe('loopback');
    expect(classify('10.1.2.3')).toBe('private');
    expect(classify('8.8.8.8')).toBe('public');
    expect(classify('::1')).toBe('loopback');
    expect(classify('fe80::1')).toBe('link-local');
  });

  it('refuses the metadata service, link-local, loopback, file:// and plain http', async () => {
    expect(await checkSiteUrl('https://169.254.169.254/', none)).toMatch(/metadata/);
    expect(await checkSiteUrl('https://169.254.1.1:7271', none)).toMatch(/link-local/);
    expect(await checkSiteUrl('https://127.0.0.1:7271', none)).toMatch(/loopback/);
    expect(await checkSiteUrl('file:///etc/passwd', none)).toMatch(/only https/);
    expect(await checkSiteUrl('http://10.0.0.5:7271', none)).toMatch(/only https/);
    expect(await checkSiteUrl('https://metadata.google.internal/', none)).toMatch(/metadata/);
    expect(await checkSiteUrl('https://user:pw@10.0.0.5/', none)).toMatch(/credentials/);
  });

  it('refuses a host name that resolves to a forbidden address (DNS rebinding at registration)', async () => {
    expect(await checkSiteUrl('https://is.attacker.example', none, resolveTo('10.0.0.5', '169.254.169.254'))).toMatch(
      /metadata/,
    );
  });

  it('accepts private and public addresses, and loopback only when allowed', async () => {
    expect(await checkSiteUrl('https://10.20.0.15:7271', none)).toBeUndefined();
    expect(await checkSiteUrl('https://ksc.provider.example:13299', none, resolveTo('203.0.113.7'))).toBeUndefined();
    expect(await checkSiteUrl('https://127.0.0.1:7271', new Set(['loopback'] as const))).toBeUndefined();
  });
});
