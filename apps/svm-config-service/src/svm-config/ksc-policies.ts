import { HostGroupApi, KscMethodError, KscPolicyInfo, KscProtocolError, PolicyApi, VServersApi } from '@tpo/ksc-client';
import { PolicySpec, policyPatch } from './svm-policy-settings';

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
export async function ensureGroupPath(groups: HostGroupApi, parentId: number, path: string[], signal: AbortSignal): Promise<number> {
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
 * Lookup-before-create by display name (and product) in `groupId`; an existing policy whose
 * settings, locks or activity differ is updated. Two runs creating the same shared policy at once
 * converge on the older one (the newer is deleted).
 */
export async function ensurePolicy(api: PolicyApi, groupId: number, spec: PolicySpec, signal: AbortSignal): Promise<{ id: number; change: PolicyChange }> {
  const ours = async () =>
    (await api.getPoliciesForGroup(groupId))
      .filter((p): p is KscPolicyInfo & { KLPOL_ID: number } => p.KLPOL_DN === spec.name && p.KLPOL_PRODUCT === spec.product && typeof p.KLPOL_ID === 'number')
      .map((p) => p.KLPOL_ID)
      .sort((a, b) => a - b);
  let ids = await ours();
  if (ids.length === 0) {
    signal.throwIfAborted();
    const created = await api.addPolicy({ name: spec.name, product: spec.product, version: spec.version, groupId, active: true, settings: spec.settings, locked: spec.locked });
    ids = await ours();
    if (ids.length === 0 || ids[0] === created) return { id: created, change: 'created' };
    await api.deletePolicy(created); // lost a race: keep the older one, brought in line below
  }
  signal.throwIfAborted();
  const id = ids[0];
  const current = await api.getPolicyData(id);
  const patch = policyPatch({ settings: current.KLPOL_SETTINGS, locked: current.KLPOL_LOCKED, active: current.KLPOL_ACTIVE }, spec);
  if (!patch) return { id, change: 'unchanged' };
  await api.updatePolicyData(id, patch);
  return { id, change: 'updated' };
}

