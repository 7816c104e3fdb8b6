import {
  HostGroupApi,
  KscMethodError,
  KscPolicyInfo,
  KscProtocolError,
  KscSession,
  PolicyApi,
  samePolicyValue,
  decodePolicySection,
  encodePolicySection,
  VServersApi,
} from '@tpo/ksc-client';
import { ReferencePolicy } from '@tpo/site-directory';
import { ClonePlan, overridesBySection, PlanError, SettingOverride } from './svm-policy-settings';

export type PolicyChange = 'created' | 'updated' | 'unchanged';

/**
 * KLVSRV_DN of a vAS, or undefined when the main server has no such vAS. Not-found is decided from
 * the documented GetVServers list, not from an error number (KSC's numeric codes are unknown, Q12).
 */
export async function vserverName(api: VServersApi, id: number): Promise<string | undefined> {
  try {
    const info = await api.getVServerInfo(id, ['KLVSRV_ID', 'KLVSRV_DN']);
    if (typeof info.KLVSRV_DN === 'string' && info.KLVSRV_DN !== '') return info.KLVSRV_DN;
  } catch (e) {
    if (!(e instanceof KscMethodError)) throw e;
  }
  const listed = (await api.getVServers(-1)).find((v) => v.KLVSRV_ID === id);
  if (!listed) return undefined;
  if (typeof listed.KLVSRV_DN === 'string' && listed.KLVSRV_DN !== '') return listed.KLVSRV_DN;
  throw new KscProtocolError(`VServers.GetVServerInfo: virtual server ${id} has no display name (KLVSRV_DN)`);
}

/** Walks (creating what is missing) `path` below `parentId`; a concurrent creator of the same group is tolerated. */
export async function ensureGroupPath(
  groups: HostGroupApi,
  parentId: number,
  path: string[],
  signal: AbortSignal,
): Promise<number> {
  let id = parentId;
  for (const name of path) {
    signal.throwIfAborted();
    const parent = id;
    const found = await groups.getGroupId(parent, name);
    if (found !== undefined) {
      id = found;
      continue;
    }
    try {
      id = await groups.addGroup(name, parent);
    } catch (e) {
      const raced = e instanceof KscMethodError ? await groups.getGroupId(parent, name) : undefined;
      if (raced === undefined) throw e;
      id = raced;
    }
  }
  return id;
}

/**
 * The reference policy's attributes, or undefined when the main server has none with that id.
 * Absence is decided from the documented `GetPoliciesForGroup(-1)` listing, not from an error number.
 */
export async function readPolicy(api: PolicyApi, policyId: number): Promise<KscPolicyInfo | undefined> {
  try {
    const info = await api.getPolicyData(policyId);
    if (info.KLPOL_ID === policyId || typeof info.KLPOL_PRODUCT === 'string') return info;
  } catch (e) {
    if (!(e instanceof KscMethodError)) throw e;
  }
  return (await api.getPoliciesForGroup(-1)).find((p) => p.KLPOL_ID === policyId);
}

/**
 * Settings checks of reference policies that passed, per site and policy, remembered with the
 * policy's modification time (`KLPOL_MODIFIED`, ksc-openapi-addendum.md §2.1; ASSUMPTION: KSC
 * moves it whenever the policy is saved, e.g. by `Ss_Apply`, as the simulator does). A reference
 * whose modification time is unchanged since its settings were found complete is not read again:
 * onboarding a bulk of tenants reads each reference's settings once instead of once per tenant.
 * Existence, product and version are still read per tenant (`GetPolicyData`, one call).
 */
export class ReferenceSettingsChecks {
  private readonly passed = new Map<string, string>();

  constructor(private readonly max = 1000) {}

  key(siteId: string, ref: ReferencePolicy, overrides: SettingOverride[]): string {
    const vars = [...new Set(overrides.map((o) => `${o.path.section}/${o.path.variable}`))].sort().join(',');
    return `${siteId}|${ref.policyId}|${ref.product}|${ref.version}|${vars}`;
  }

  isPassed(key: string, modified: string | undefined): boolean {
    return modified !== undefined && this.passed.get(key) === modified;
  }

  remember(key: string, modified: string | undefined): void {
    if (modified === undefined) return;
    if (this.passed.size >= this.max) this.passed.clear();
    this.passed.set(key, modified);
  }
}

function modifiedStamp(info: KscPolicyInfo): string | undefined {
  const m = (info as Record<string, unknown>).KLPOL_MODIFIED;
  if (m === undefined || m === null || m === '') return undefined;
  return m instanceof Date ? m.toISOString() : JSON.stringify(m);
}

/**
 * Checks, before any change, that a reference policy exists, is of the configured product and
 * version, and holds every captured variable the platform overrides. Read-only (the settings
 * storage is opened, read and released without Ss_Apply). With `remembered` (and the site id), a
 * settings check that passed for the same unmodified policy is not repeated.
 */
export async function checkReference(
  session: KscSession,
  ref: ReferencePolicy,
  overrides: SettingOverride[],
  what: string,
  remembered?: { checks: ReferenceSettingsChecks; siteId: string },
): Promise<PlanError | undefined> {
  const api = new PolicyApi(session);
  const info = await readPolicy(api, ref.policyId);
  if (!info)
    return {
      code: 'REFERENCE_POLICY_NOT_FOUND',
      message: `${what}: the site's reference policy ${ref.policyId} does not exist on the main server`,
    };
  if (info.KLPOL_PRODUCT !== ref.product || info.KLPOL_VERSION !== ref.version) {
    return {
      code: 'REFERENCE_POLICY_WRONG_PRODUCT',
      message: `${what}: reference policy ${ref.policyId} ("${String(info.KLPOL_DN ?? '')}") is of product ${String(info.KLPOL_PRODUCT)}/${String(info.KLPOL_VERSION)}, the site configures ${ref.product}/${ref.version}`,
    };
  }
  if (overrides.length === 0) return undefined;
  const key = remembered?.checks.key(remembered.siteId, ref, overrides);
  const modified = modifiedStamp(info);
  if (key !== undefined && remembered!.checks.isPassed(key, modified)) return undefined;
  const refused = await api.withPolicyContents(ref.policyId, async (c): Promise<PlanError | undefined> => {
    const sections = await c.sections(ref.product, ref.version);
    for (const [section, list] of overridesBySection(overrides)) {
      if (!sections.includes(section)) {
        return {
          code: 'REFERENCE_SETTING_NOT_FOUND',
          message: `${what}: reference policy ${ref.policyId} has no section "${section}" (re-capture the site's settings)`,
        };
      }
      const vars = await c.read(ref.product, ref.version, section);
      const missing = list.filter((o) => !(o.path.variable in vars)).map((o) => o.path.variable);
      if (missing.length > 0) {
        return {
          code: 'REFERENCE_SETTING_NOT_FOUND',
          message: `${what}: reference policy ${ref.policyId} has no variable(s) ${missing.join(', ')} in section "${section}" (re-capture the site's settings)`,
        };
      }
    }
    return undefined;
  });
  if (!refused && key !== undefined) remembered!.checks.remember(key, modified);
  return refused;
}

/**
 * The tenant's clone of a reference policy in `groupId`, idempotently: looked up by display name
 * and product first; otherwise `CopyOrMovePolicy(reference, group, false, {KLPOL_DN, KLPOL_ACTIVE})`
 * (two runs copying at once converge on the older copy). Then the overridden variables are
 * brought to their values, locked (`KLPRSS_Mnd: true`), with `Ss_Replace` + `Ss_Apply` only when
 * something differs, and the policy is made active. Other settings stay as the reference (or a
 * provider admin) left them.
 */
export async function ensureClone(
  session: KscSession,
  groupId: number,
  plan: ClonePlan,
  signal: AbortSignal,
): Promise<{ id: number; change: PolicyChange }> {
  const api = new PolicyApi(session);
  const ref = plan.reference;
  const ours = async () =>
    (await api.getPoliciesForGroup(groupId))
      .filter(
        (p): p is KscPolicyInfo & { KLPOL_ID: number } =>
          p.KLPOL_DN === plan.name && p.KLPOL_PRODUCT === ref.product && typeof p.KLPOL_ID === 'number',
      )
      .sort((a, b) => a.KLPOL_ID - b.KLPOL_ID);
  let change: PolicyChange = 'unchanged';
  let listed = await ours();
  let id: number;
  if (listed.length === 0) {
    signal.throwIfAborted();
    const created = await api.copyOrMovePolicy(ref.policyId, groupId, false, { name: plan.name, active: true });
    change = 'created';
    listed = await ours();
    if (listed.length > 0 && listed[0].KLPOL_ID !== created) {
      await api.deletePolicy(created); // lost a race: keep the older copy, brought in line below
      change = 'unchanged';
    }
    id = listed[0]?.KLPOL_ID ?? created;
  } else id = listed[0].KLPOL_ID;
  signal.throwIfAborted();
  // Without overrides there is nothing to compare in the settings storage (the clone keeps the reference's settings).
  const changed =
    plan.overrides.length > 0 &&
    (await api.withPolicyContents(id, async (c) => {
      const sections = await c.sections(ref.product, ref.version);
      let dirty = false;
      for (const [section, list] of overridesBySection(plan.overrides)) {
        if (!sections.includes(section)) await c.createSection(ref.product, ref.version, section);
        const current = sections.includes(section)
          ? decodePolicySection(await c.read(ref.product, ref.version, section))
          : {};
        const stale = list.filter((o) => {
          const have = current[o.path.variable];
          return !have || !have.locked || !samePolicyValue(have.value, o.value);
        });
        if (stale.length === 0) continue;
        await c.replace(
          ref.product,
          ref.version,
          section,
          encodePolicySection(
            Object.fromEntries(stale.map((o) => [o.path.variable, { value: o.value, locked: true }])),
          ),
        );
        dirty = true;
      }
      if (dirty) await c.apply();
      return dirty;
    }));
  // The group listing carries the common attributes (KLPOL_ACTIVE included); GetPolicyData only when it did not.
  const fromListing = listed.find((p) => p.KLPOL_ID === id)?.KLPOL_ACTIVE;
  const active = typeof fromListing === 'boolean' ? fromListing : (await api.getPolicyData(id)).KLPOL_ACTIVE;
  if (active !== true) {
    await api.makePolicyActive(id, true);
    if (change === 'unchanged') change = 'updated';
  }
  if (changed && change === 'unchanged') change = 'updated';
  return { id, change };
}
