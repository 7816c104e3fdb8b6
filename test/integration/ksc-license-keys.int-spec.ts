import { RunningSimulator, SEED_LICENSE_KEY, Site } from '@tpo/kaspersky-simulator';
import {
  isLicenseKeyExpired,
  KscClient,
  KscMethodError,
  KscSession,
  LicenseKeysApi,
  VServersApi,
} from '@tpo/ksc-client';
import { SIM_KSC_ACCOUNT, startTestSimulator } from '../support/simulator';

const PROVIDER = { user: SIM_KSC_ACCOUNT.name, password: SIM_KSC_ACCOUNT.password };

/** Issue 8/10: the main server's key storage through the documented LicenseKeys + GroupSyncIterator calls, and the vAS count. */
describe('LicenseKeys and VServers counting against the simulator', () => {
  let sim: RunningSimulator;
  let site: Site;
  let client: KscClient;
  let main: KscSession;

  beforeAll(async () => {
    sim = await startTestSimulator([{}], { admin: true });
    site = sim.sites[0];
    client = new KscClient({ baseUrl: sim.endpoints[0].kscUrl, credentials: PROVIDER, timeoutMs: 5000 });
    main = await client.startSession();
  });

  afterAll(async () => {
    await main?.endSession().catch(() => undefined);
    await client?.close();
    await sim?.close();
  });

  beforeEach(() => {
    site.ksc.licenseKeys.clear();
  });

  const admin = (path: string, method: string, body?: unknown) =>
    fetch(`${sim.adminUrl}/sites/${site.id}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('a seeded main server holds one valid commercial key', async () => {
    const fresh = await startTestSimulator([{}]);
    const c = new KscClient({ baseUrl: fresh.endpoints[0].kscUrl, credentials: PROVIDER, timeoutMs: 5000 });
    try {
      const s = await c.startSession();
      const keys = await new LicenseKeysApi(s).enumKeys();
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({
        serial: SEED_LICENSE_KEY.serial,
        keyType: 1,
        keyTypeName: 'commercial',
        limit: SEED_LICENSE_KEY.licCount,
      });
      expect(isLicenseKeyExpired(keys[0])).toBe(false);
    } finally {
      await c.close();
      await fresh.close();
    }
  });

  it('EnumKeys reads every key with the documented KLLIC_* fields, page by page, and releases the iterator', async () => {
    const future = new Date(Date.now() + 30 * 86_400_000);
    for (let i = 0; i < 7; i++) {
      expect(
        (
          await admin('/ksc/license-keys', 'POST', {
            serial: `KEY-${i}`,
            licCount: 100 + i,
            hostsAsCurrent: i,
            hostsAsNext: 1,
            limitDate: future.toISOString(),
          })
        ).status,
      ).toBe(201);
    }
    expect((await admin('/ksc/license-keys/KEY-3/expire', 'POST', {})).status).toBe(200);
    const keys = await new LicenseKeysApi(main).enumKeys({ pageSize: 3 });
    expect(keys.map((k) => k.serial).sort()).toEqual(['KEY-0', 'KEY-1', 'KEY-2', 'KEY-3', 'KEY-4', 'KEY-5', 'KEY-6']);
    const k5 = keys.find((k) => k.serial === 'KEY-5')!;
    expect(k5).toMatchObject({ limit: 105, inUse: 5, reserve: 1, installed: true });
    expect(k5.expiresAt?.toISOString().slice(0, 19)).toBe(future.toISOString().slice(0, 19));
    expect(isLicenseKeyExpired(keys.find((k) => k.serial === 'KEY-3')!)).toBe(true);
    expect(isLicenseKeyExpired(k5)).toBe(false);
    // Iterators are released: none left in the server's wire state.
    expect((site.kscProtocol!.snapshot() as { groupSyncIterators: unknown[] }).groupSyncIterators).toEqual([]);
    // A removed key is gone.
    expect((await admin('/ksc/license-keys/KEY-6', 'DELETE')).status).toBe(204);
    expect((await new LicenseKeysApi(main).enumKeys()).map((k) => k.serial)).not.toContain('KEY-6');
    expect((await new LicenseKeysApi(main).getKeyData('KEY-5')).limit).toBe(105);
  });

  it('the simulator refuses what a real server would: unknown parameters, an empty field list, a foreign iterator, the key body without the right', async () => {
    const call = (method: string, args: Record<string, unknown>, session = main) =>
      session.call(method, args, { idempotent: false });
    await expect(
      call('LicenseKeys.EnumKeys', {
        pFields: ['KLLIC_SERIAL'],
        pFieldsToOrder: [],
        pOptions: {},
        lTimeoutSec: 60,
        pData: {},
      }),
    ).rejects.toBeInstanceOf(KscMethodError);
    await expect(
      call('LicenseKeys.EnumKeys', { pFields: [], pFieldsToOrder: [], pOptions: {}, lTimeoutSec: 60 }),
    ).rejects.toBeInstanceOf(KscMethodError);
    await admin('/ksc/license-keys', 'POST', { serial: 'KEY-X' });
    const opened = await call('LicenseKeys.EnumKeys', {
      pFields: ['KLLIC_SERIAL'],
      pFieldsToOrder: [],
      pOptions: {},
      lTimeoutSec: 60,
    });
    const other = await client.startSession();
    try {
      await expect(
        call('GroupSyncIterator.GetNextItems', { szwIterator: opened.wstrIterator, nCount: 10 }, other),
      ).rejects.toBeInstanceOf(KscMethodError);
    } finally {
      await other.endSession();
    }
    const page = await call('GroupSyncIterator.GetNextItems', { szwIterator: opened.wstrIterator, nCount: 10 });
    expect(page.bEOF).toBe(true);
    await call('GroupSyncIterator.ReleaseIterator', { szwIterator: opened.wstrIterator });
    await expect(
      call('GroupSyncIterator.GetNextItems', { szwIterator: opened.wstrIterator, nCount: 10 }),
    ).rejects.toBeInstanceOf(KscMethodError);
    await expect(
      call('LicenseKeys.GetKeyData', { pKeyInfo: { KLLIC_SERIAL: 'KEY-X', KLLICSRV_KEYDATA: 0 } }),
    ).rejects.toBeInstanceOf(KscMethodError);
  });

  it('virtual servers made outside the platform are counted (GetVServers(-1)); the KSC refuses the 501st', async () => {
    const before = await new VServersApi(main).countVServers();
    const res = await admin('/ksc/vservers', 'POST', { count: 500 - before });
    expect(res.status).toBe(201);
    expect(await new VServersApi(main).countVServers()).toBe(500);
    await expect(new VServersApi(main).addVServer('one-too-many', 0)).rejects.toBeInstanceOf(KscMethodError);
    expect((await admin('/ksc/vservers', 'POST', { count: 1 })).status).toBe(400);
  });
});
