import { KscIn } from '../ksc-codec';
import { policyRecord } from '../ksc-records';
import { KscWireError } from '../ksc-wire-error';
import { argInt, argParams, KscHandlers } from './method-types';

function isContainer(v: KscIn | undefined): v is Record<string, KscIn> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);
}

function strings(v: KscIn | undefined): string[] | undefined {
  return Array.isArray(v) ? v.map((x) => String(x)) : undefined;
}

/**
 * ASSUMPTION (Policy is not in ksc-openapi.md): a minimal Policy class — GetPoliciesForGroup,
 * AddPolicy, GetPolicyData, UpdatePolicyData, DeletePolicy — over KLPOL_ID, KLPOL_DN,
 * KLPOL_PRODUCT, KLPOL_VERSION, KLPOL_GROUP_ID, KLPOL_ACTIVE and a KLPOL_SETTINGS container
 * (real KSC keeps settings in policy sections read through other classes).
 */
export const policyMethods: KscHandlers = {
  'Policy.GetPoliciesForGroup': (ctx, args) => {
    const groupId = argInt(args, 'nGroupId');
    const g = ctx.site.ksc.groups.get(groupId);
    if (!g || g.vsId !== ctx.session.vsId) throw new KscWireError('STDE_NOTFOUND', `group ${groupId} not found`);
    const list = [...ctx.site.ksc.policies.values()].filter((p) => p.vsId === ctx.session.vsId && p.groupId === groupId);
    return { PxgRetVal: list.map((p) => policyRecord(p, false)) };
  },
  'Policy.AddPolicy': (ctx, args) => {
    const d = argParams(args, 'pPolicyData', true);
    if (typeof d.KLPOL_DN !== 'string' || typeof d.KLPOL_PRODUCT !== 'string' || typeof d.KLPOL_GROUP_ID !== 'number') {
      throw new KscWireError('STDE_BADPARAM', 'KLPOL_DN, KLPOL_PRODUCT and KLPOL_GROUP_ID are required');
    }
    ctx.site.calls.record('Policy.AddPolicy', `${ctx.session.vsId}/${d.KLPOL_GROUP_ID}/${d.KLPOL_DN}`);
    const p = ctx.site.ksc.addPolicy(ctx.session.vsId, {
      groupId: d.KLPOL_GROUP_ID,
      name: d.KLPOL_DN,
      productName: d.KLPOL_PRODUCT,
      productVersion: typeof d.KLPOL_VERSION === 'string' ? d.KLPOL_VERSION : '',
      active: d.KLPOL_ACTIVE !== false,
      locked: strings(d.KLPOL_LOCKED) ?? [],
      settings: isContainer(d.KLPOL_SETTINGS) ? d.KLPOL_SETTINGS : {},
    });
    return { PxgRetVal: p.id };
  },
  'Policy.GetPolicyData': (ctx, args) => ({ PxgRetVal: policyRecord(ctx.site.ksc.requirePolicy(ctx.session.vsId, argInt(args, 'nPolicy')), true) }),
  /** Writable: KLPOL_DN, KLPOL_ACTIVE, KLPOL_LOCKED; KLPOL_SETTINGS is merged key by key. */
  'Policy.UpdatePolicyData': (ctx, args) => {
    const p = ctx.site.ksc.requirePolicy(ctx.session.vsId, argInt(args, 'nPolicy'));
    const d = argParams(args, 'pData', true);
    if (typeof d.KLPOL_DN === 'string') p.name = d.KLPOL_DN;
    if (typeof d.KLPOL_ACTIVE === 'boolean') p.active = d.KLPOL_ACTIVE;
    p.locked = strings(d.KLPOL_LOCKED) ?? p.locked;
    if (isContainer(d.KLPOL_SETTINGS)) p.settings = { ...p.settings, ...d.KLPOL_SETTINGS };
    return {};
  },
  'Policy.DeletePolicy': (ctx, args) => {
    const p = ctx.site.ksc.requirePolicy(ctx.session.vsId, argInt(args, 'nPolicy'));
    ctx.site.ksc.policies.delete(p.id);
    return {};
  },
};
