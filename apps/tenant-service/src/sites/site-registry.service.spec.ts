import { createLogger } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { EnvelopeCipher } from '@tpo/secrets';
import { AuditRepository } from '@tpo/service-kit';
import { TenantServiceEnv } from '../config/tenant-service.env';
import { OWN_CONNECTION_TTL_MS, SiteRegistry } from './site-registry.service';
import { SiteRecord, SiteRepository } from './site.repository';
import { SitePreflightRepository } from './site-preflight.repository';

function setup() {
  const cipher = new EnvelopeCipher(new Map([['k1', Buffer.alloc(32, 7)]]), 'k1');
  let password = 'is-secret-1';
  const record = (): SiteRecord => ({
    id: 'site-1',
    name: 'Site 1',
    enabled: true,
    kscConfigured: true,
    maxVirtualServers: 500,
    connection: {
      integrationServer: { url: 'https://is.example:8080', username: 'is-admin' },
      ksc: { url: 'https://ksc.example:13299', username: 'ksc-admin' },
    } as SiteRecord['connection'],
    credentials: {
      integrationServer: cipher.seal(password, 'site:site-1:integration-server'),
      ksc: cipher.seal('ksc-secret', 'site:site-1:ksc'),
    },
    source: 'config',
    createdAt: new Date(),
    updatedAt: new Date(),
  });
  const sites = {
    findById: jest.fn(async (id: string) => (id === 'site-1' ? record() : undefined)),
    setEnabled: jest.fn(async () => undefined),
    setKscConfigured: jest.fn(async () => undefined),
    setMaxVirtualServers: jest.fn(async () => undefined),
  } as unknown as SiteRepository & { findById: jest.Mock };
  const audit = { record: jest.fn(async () => undefined) } as unknown as AuditRepository & { record: jest.Mock };
  const uow = { run: async <T>(work: () => Promise<T>) => work() } as unknown as UnitOfWork;
  const preflights = { markDue: jest.fn(async () => undefined) } as unknown as SitePreflightRepository;
  const registry = new SiteRegistry(
    sites,
    uow,
    cipher,
    createLogger('site-registry-spec', 'silent'),
    {} as TenantServiceEnv,
    audit,
    preflights,
  );
  return { registry, sites, audit, setPassword: (p: string) => (password = p) };
}

describe('SiteRegistry.connection', () => {
  afterEach(() => jest.useRealTimers());

  it("builds this process's own connection once and reuses it for a while (no read, no decryption per job)", async () => {
    const { registry, sites } = setup();
    const first = await registry.connection('site-1');
    expect(first.integrationServer.password).toBe('is-secret-1');
    expect(await registry.connection('site-1')).toBe(first);
    expect(sites.findById).toHaveBeenCalledTimes(1);
  });

  it('reads again once the reuse time is over', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { registry, sites, setPassword } = setup();
    await registry.connection('site-1');
    setPassword('is-secret-2'); // changed through another replica
    jest.setSystemTime(1_000_000 + OWN_CONNECTION_TTL_MS - 1);
    expect((await registry.connection('site-1')).integrationServer.password).toBe('is-secret-1');
    jest.setSystemTime(1_000_000 + OWN_CONNECTION_TTL_MS);
    expect((await registry.connection('site-1')).integrationServer.password).toBe('is-secret-2');
    expect(sites.findById).toHaveBeenCalledTimes(2);
  });

  it('a change made through this process is seen at once', async () => {
    const { registry, sites } = setup();
    await registry.connection('site-1');
    await registry.setFlags('site-1', { maxVirtualServers: 100 });
    const reads = sites.findById.mock.calls.length;
    await registry.connection('site-1');
    expect(sites.findById.mock.calls.length).toBe(reads + 1);
  });

  it("another service's read is never served from it: read and audited every time", async () => {
    const { registry, sites, audit } = setup();
    await registry.connection('site-1');
    const reader = { service: 'svm-config-service', sourceIp: '10.0.0.9' };
    await registry.connection('site-1', reader);
    await registry.connection('site-1', reader);
    expect(sites.findById).toHaveBeenCalledTimes(3);
    expect(audit.record).toHaveBeenCalledTimes(2);
    expect(audit.record).toHaveBeenLastCalledWith(
      expect.objectContaining({ actor: 'service:svm-config-service', action: 'site.credentials.read', outcome: 200 }),
    );
  });

  it('an unknown site is not remembered', async () => {
    const { registry, sites } = setup();
    await expect(registry.connection('site-x')).rejects.toMatchObject({ code: 'SITE_UNKNOWN' });
    await expect(registry.connection('site-x')).rejects.toMatchObject({ code: 'SITE_UNKNOWN' });
    expect(sites.findById).toHaveBeenCalledTimes(2);
  });
});
