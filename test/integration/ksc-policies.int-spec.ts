import {
  RunningSimulator,
  SEED_LA_OTHER_SECTION,
  SEED_LA_SECTION,
  SEED_LA_VARIABLES,
  SEED_LIGHT_AGENT,
  SEED_PROTECTION_SERVER,
  SEED_REFERENCE_POLICY_FOLDER,
  SEED_REFERENCE_POLICY_IDS,
  Site,
} from '@tpo/kaspersky-simulator';
import {
  decodePolicySection,
  encodePolicySection,
  HostGroupApi,
  KscClient,
  KscMethodError,
  KscSession,
  PolicyApi,
  SsContentsApi,
} from '@tpo/ksc-client';
import request from 'supertest';
import { SIM_KSC_ACCOUNT, startTestSimulator } from '../support/simulator';

const NAGENT = { product: '1103', version: '1.0.0.0' };
const LA_WIN = SEED_LIGHT_AGENT.windows;

/** Policies and settings storages as KSC documents them (ksc-openapi-addendum.md §2), client and simulator over HTTPS. */
describe('KSC policies and SsContents (client against the simulator over HTTPS)', () => {
  let sim: RunningSimulator;
  let site: Site;
  let client: KscClient;
  let main: KscSession;
  let api: PolicyApi;
  let root: number;

  beforeAll(async () => {
    sim = await startTestSimulator([{}], { tls: 'self-signed', admin: true });
    site = sim.sites[0];
    client = new KscClient({
      baseUrl: sim.endpoints[0].kscUrl,
      credentials: { user: SIM_KSC_ACCOUNT.name, password: SIM_KSC_ACCOUNT.password },
      tls: { pinSha256: sim.tls!.fingerprint256 },
      timeoutMs: 5000,
    });
    main = await client.startSession();
    api = new PolicyApi(main);
    root = await new HostGroupApi(main).groupIdGroups();
  });

  afterAll(async () => {
    await main?.endSession().catch(() => undefined);
    await client?.close();
    await sim?.close();
  });

  const badParam = (p: Promise<unknown>) =>
    expect(p).rejects.toMatchObject({
      name: 'KscMethodError',
      message: expect.stringMatching(/STDE_BADPARAM|KLSTD error 1101/),
    });

  it('a seeded site holds the reference policies in a provider folder, readable through SsContents', async () => {
    const folder = await new HostGroupApi(main).getGroupId(root, SEED_REFERENCE_POLICY_FOLDER);
    const listed = await api.getPoliciesForGroup(folder!);
    expect(listed.map((p) => p.KLPOL_ID).sort()).toEqual(Object.values(SEED_REFERENCE_POLICY_IDS).sort());
    expect(await api.getPolicyData(SEED_REFERENCE_POLICY_IDS.windows)).toMatchObject({
      KLPOL_PRODUCT: LA_WIN.product,
      KLPOL_VERSION: LA_WIN.version,
      KLPOL_ACTIVE: false,
      KLPOL_GROUP_ID: folder,
    });
    expect((await api.getPoliciesForGroup(-1)).length).toBeGreaterThanOrEqual(3);
    await api.withPolicyContents(SEED_REFERENCE_POLICY_IDS.windows, async (c) => {
      expect(await c.products()).toEqual([LA_WIN.product]);
      expect(await c.versions(LA_WIN.product)).toEqual([LA_WIN.version]);
      expect((await c.sections(LA_WIN.product, LA_WIN.version)).sort()).toEqual(
        [SEED_LA_OTHER_SECTION, SEED_LA_SECTION].sort(),
      );
      const vars = decodePolicySection(await c.read(LA_WIN.product, LA_WIN.version, SEED_LA_SECTION));
      expect(vars[SEED_LA_VARIABLES.integrationServerPort]).toEqual({ value: 7271, locked: false });
    });
    expect(site.ksc.ssContents.size).toBe(0); // released
  });

  it('AddPolicy takes only the documented attributes: mandatory ones required, KLPOL_ACTIVE false by default', async () => {
    const id = await api.addPolicy({ name: 'TPO Network Agent', ...NAGENT, groupId: root });
    expect(await api.getPolicyData(id)).toMatchObject({
      KLPOL_ID: id,
      KLPOL_DN: 'TPO Network Agent',
      KLPOL_PRODUCT: '1103',
      KLPOL_ACTIVE: false,
      KLPOL_ACCEPT_PARENT: true,
      KLPOL_GROUP_ID: root,
    });
    await badParam(
      main.call('Policy.AddPolicy', { pPolicyData: { KLPOL_DN: 'x', KLPOL_PRODUCT: '1103', KLPOL_GROUP_ID: root } }),
    ); // no KLPOL_VERSION
    await badParam(
      main.call('Policy.AddPolicy', {
        pPolicyData: {
          KLPOL_DN: 'x',
          ...{ KLPOL_PRODUCT: '1103', KLPOL_VERSION: '1.0.0.0' },
          KLPOL_GROUP_ID: root,
          KLPOL_SETTINGS: { a: 1 },
        },
      }),
    );
    await badParam(
      main.call('Policy.AddPolicy', {
        pPolicyData: {
          KLPOL_DN: 'x',
          KLPOL_PRODUCT: '1103',
          KLPOL_VERSION: '1.0.0.0',
          KLPOL_GROUP_ID: root,
          KLPOL_LOCKED: ['a'],
        },
      }),
    );
    await badParam(
      main.call('Policy.AddPolicy', {
        pData: { KLPOL_DN: 'x', KLPOL_PRODUCT: '1103', KLPOL_VERSION: '1.0.0.0', KLPOL_GROUP_ID: root },
      }),
    );
    await api.deletePolicy(id);
  });

  it('UpdatePolicyData takes pPolicyData with only the changeable attributes; pData and read-only attributes are refused', async () => {
    const id = await api.addPolicy({ name: 'upd', ...NAGENT, groupId: root });
    await api.updatePolicyData(id, { name: 'upd 2', active: true, roaming: false });
    expect(await api.getPolicyData(id)).toMatchObject({ KLPOL_DN: 'upd 2', KLPOL_ACTIVE: true });
    await badParam(main.call('Policy.UpdatePolicyData', { nPolicy: id, pData: { KLPOL_ACTIVE: false } }));
    await badParam(main.call('Policy.UpdatePolicyData', { nPolicy: id, pPolicyData: { KLPOL_SETTINGS: { a: 1 } } }));
    await badParam(main.call('Policy.UpdatePolicyData', { nPolicy: id, pPolicyData: { KLPOL_GROUP_ID: 1 } }));
    expect(await api.getPolicyData(id)).toMatchObject({ KLPOL_ACTIVE: true, KLPOL_GROUP_ID: root });
    expect(await api.makePolicyActive(id, false)).toBe(true);
    expect((await api.getPolicyData(id)).KLPOL_ACTIVE).toBe(false);
    await api.deletePolicy(id);
  });

  it('settings edits stay invisible until Ss_Apply; values are {KLPRSS_Val, KLPRSS_Mnd}; sections must exist', async () => {
    const id = await api.addPolicy({ name: 'nagent ss', ...NAGENT, groupId: root });
    const ss = new SsContentsApi(main);
    const sid = await api.getPolicyContents(id);
    try {
      expect(await ss.getNames(sid, NAGENT.product, NAGENT.version)).toEqual([]);
      const locked = encodePolicySection({ KLNAG_SVCPRT_PROTECT_NAGENT_SVC: { value: true, locked: true } });
      // Unknown section: refused until created.
      await expect(ss.update(sid, NAGENT.product, NAGENT.version, 'KLNAG_SVCPRT', locked)).rejects.toBeInstanceOf(
        KscMethodError,
      );
      await expect(ss.replace(sid, NAGENT.product, NAGENT.version, 'KLNAG_SVCPRT', locked)).rejects.toBeInstanceOf(
        KscMethodError,
      );
      await ss.createSection(sid, NAGENT.product, NAGENT.version, 'KLNAG_SVCPRT');
      // Ss_Update changes existing variables only; Ss_Add adds new ones only.
      await expect(ss.update(sid, NAGENT.product, NAGENT.version, 'KLNAG_SVCPRT', locked)).rejects.toBeInstanceOf(
        KscMethodError,
      );
      await ss.add(sid, NAGENT.product, NAGENT.version, 'KLNAG_SVCPRT', locked);
      await expect(ss.add(sid, NAGENT.product, NAGENT.version, 'KLNAG_SVCPRT', locked)).rejects.toBeInstanceOf(
        KscMethodError,
      );
      await ss.update(
        sid,
        NAGENT.product,
        NAGENT.version,
        'KLNAG_SVCPRT',
        encodePolicySection({ KLNAG_SVCPRT_PROTECT_NAGENT_SVC: { value: false, locked: true } }),
      );
      // A plain value (not {KLPRSS_Val, KLPRSS_Mnd}) is refused.
      await badParam(
        main.call('SsContents.Ss_Replace', {
          wstrID: sid,
          wstrProduct: '1103',
          wstrVersion: '1.0.0.0',
          wstrSection: 'KLNAG_SVCPRT',
          pNewData: { KLNAG_SVCPRT_PROTECT_NAGENT_SVC: true },
        }),
      );
      // Another storage of the same policy does not see the unapplied edit.
      await api.withPolicyContents(id, async (other) =>
        expect(await other.sections(NAGENT.product, NAGENT.version)).toEqual([]),
      );
      expect(site.ksc.policies.get(id)!.settings).toEqual({ '1103': { '1.0.0.0': {} } });
      await ss.apply(sid);
      expect(site.ksc.policies.get(id)!.settings['1103']['1.0.0.0'].KLNAG_SVCPRT).toEqual({
        KLNAG_SVCPRT_PROTECT_NAGENT_SVC: { KLPRSS_Val: false, KLPRSS_Mnd: true },
      });
      expect(decodePolicySection(await ss.read(sid, NAGENT.product, NAGENT.version, 'KLNAG_SVCPRT'))).toEqual({
        KLNAG_SVCPRT_PROTECT_NAGENT_SVC: { value: false, locked: true },
      });
    } finally {
      await ss.release(sid);
    }
    // Released: the id is gone.
    await expect(ss.read(sid, NAGENT.product, NAGENT.version, 'KLNAG_SVCPRT')).rejects.toBeInstanceOf(KscMethodError);
    await api.deletePolicy(id);
  });

  it('refuses bad storage names, unknown parameters, the invented SsContents_Update method and an expired id', async () => {
    const sid = await api.getPolicyContents(SEED_REFERENCE_POLICY_IDS.linux, 0, 300);
    try {
      for (const bad of ['a/b', 'x'.repeat(32), 'a:b', 'a*b', '']) {
        await badParam(
          main.call('SsContents.Ss_Read', { wstrID: sid, wstrProduct: bad || '', wstrVersion: '1', wstrSection: 's' }),
        );
      }
      await expect(
        main.call('SsContents.Ss_Read', {
          wstrID: sid,
          wstrProduct: SEED_LIGHT_AGENT.linux.product,
          wstrVersion: SEED_LIGHT_AGENT.linux.version,
          wstrSection: 'KSVLA_INVENTED',
        }),
      ).rejects.toBeInstanceOf(KscMethodError);
      await badParam(
        main.call('SsContents.Ss_Read', {
          wstrID: sid,
          wstrProduct: 'p',
          wstrVersion: 'v',
          wstrSection: 's',
          pData: {},
        }),
      );
      await expect(main.call('SsContents.SsContents_Update', { wstrID: sid })).rejects.toMatchObject({
        message: expect.stringMatching(/unknown method/),
      });
      await new Promise((r) => setTimeout(r, 400));
      await expect(
        main.call('SsContents.SS_GetNames', { wstrID: sid, wstrProduct: '', wstrVersion: '' }),
      ).rejects.toMatchObject({ message: expect.stringMatching(/expired|not found/) });
    } finally {
      await main.call('SsContents.Ss_Release', { wstrID: sid }).catch(() => undefined);
    }
  });

  it('CopyOrMovePolicy copies the settings storage and takes KLPOL_DN / KLPOL_ACTIVE from pExtraData', async () => {
    const g = await new HostGroupApi(main).addGroup('copy target', root);
    const copy = await api.copyOrMovePolicy(SEED_REFERENCE_POLICY_IDS.protectionStandard, g, false, {
      name: 'PS copy',
      active: true,
    });
    expect(await api.getPolicyData(copy)).toMatchObject({
      KLPOL_DN: 'PS copy',
      KLPOL_ACTIVE: true,
      KLPOL_GROUP_ID: g,
      KLPOL_PRODUCT: SEED_PROTECTION_SERVER.product,
    });
    expect(site.ksc.policies.get(copy)!.settings).toEqual(
      site.ksc.policies.get(SEED_REFERENCE_POLICY_IDS.protectionStandard)!.settings,
    );
    // The copy is independent of the reference.
    await api.withPolicyContents(copy, async (c) => {
      const [section] = await c.sections(SEED_PROTECTION_SERVER.product, SEED_PROTECTION_SERVER.version);
      await c.replace(
        SEED_PROTECTION_SERVER.product,
        SEED_PROTECTION_SERVER.version,
        section,
        encodePolicySection({ Extra: { value: 1, locked: true } }),
      );
      await c.apply();
    });
    expect(site.ksc.policies.get(copy)!.settings).not.toEqual(
      site.ksc.policies.get(SEED_REFERENCE_POLICY_IDS.protectionStandard)!.settings,
    );
    await badParam(
      main.call('Policy.CopyOrMovePolicy', {
        nPolicy: copy,
        nNewGroupId: g,
        bDeleteOrigin: false,
        pExtraData: { KLPOL_SETTINGS: {} },
      }),
    );
    await api.deletePolicy(copy);
  });

  it('the admin API removes or alters a reference policy (for "site without reference policy" tests)', async () => {
    const victim = await api.copyOrMovePolicy(SEED_REFERENCE_POLICY_IDS.linux, root, false, { name: 'victim' });
    await request(sim.adminUrl!)
      .patch(`/sites/${site.id}/ksc/policies/${victim}`)
      .send({ productName: 'WRONG' })
      .expect(200);
    expect((await api.getPolicyData(victim)).KLPOL_PRODUCT).toBe('WRONG');
    await request(sim.adminUrl!).patch(`/sites/${site.id}/ksc/policies/${victim}`).send({ settings: {} }).expect(400);
    await request(sim.adminUrl!).delete(`/sites/${site.id}/ksc/policies/${victim}`).expect(204);
    await expect(api.getPolicyData(victim)).rejects.toBeInstanceOf(KscMethodError);
  });
});
