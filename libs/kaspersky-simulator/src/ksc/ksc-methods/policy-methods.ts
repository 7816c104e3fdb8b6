import { KscIn } from '../ksc-codec';
import { KscModelError, Policy } from '../ksc-model';
import { policyRecord } from '../ksc-records';
import { checkSsName, cloneStorage } from '../ksc-settings-storage';
import { KscWireError } from '../ksc-wire-error';
import { argBool, argInt, argParams, KscCallContext, KscHandlers, onlyParams } from './method-types';

/** AddPolicy attributes (ksc-openapi-addendum.md §2.1, DOCUMENTED KSC14/a00556_a0876a19…): the first four mandatory. */
const ADD_MANDATORY = ['KLPOL_DN', 'KLPOL_PRODUCT', 'KLPOL_VERSION', 'KLPOL_GROUP_ID'] as const;
const ADD_OPTIONAL = [
  'KLPOL_ACTIVE',
  'KLPOL_ROAMING',
  'KLPOL_ACCEPT_PARENT',
  'KLPOL_FORCE_DISTRIB2CHILDREN',
  'KLPOL_HIDE_ON_SLAVES',
] as const;
/** The only attributes UpdatePolicyData changes (DOCUMENTED KSC15.1/a00570_a6998cc…). */
const CHANGEABLE = [
  'KLPOL_DN',
  'KLPOL_ACTIVE',
  'KLPOL_ROAMING',
  'KLPOL_ACCEPT_PARENT',
  'KLPOL_FORCE_DISTRIB2CHILDREN',
] as const;
/** CopyOrMovePolicy pExtraData (DOCUMENTED addendum §2.1). */
const COPY_EXTRA = ['KLPOL_DN', 'KLPOL_ACTIVE'] as const;

function onlyAttributes(data: Record<string, KscIn>, allowed: readonly string[], method: string): void {
  const unknown = Object.keys(data).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new KscWireError(
      'STDE_BADPARAM',
      `${method}: attribute(s) ${unknown.join(', ')} not accepted (allowed: ${allowed.join(', ')})`,
    );
}

function optBool(data: Record<string, KscIn>, key: string): boolean | undefined {
  const v = data[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new KscWireError('STDE_BADPARAM', `${key} must be a boolean`);
  return v;
}

function requirePolicy(ctx: KscCallContext, id: number): Policy {
  return ctx.site.ksc.requirePolicy(ctx.session.vsId, id);
}

function applyChangeable(p: Policy, d: Record<string, KscIn>): void {
  if (d.KLPOL_DN !== undefined) {
    if (typeof d.KLPOL_DN !== 'string' || d.KLPOL_DN.trim() === '')
      throw new KscWireError('STDE_BADPARAM', 'KLPOL_DN must be a non-empty string');
    p.name = d.KLPOL_DN;
  }
  p.active = optBool(d, 'KLPOL_ACTIVE') ?? p.active;
  p.roaming = optBool(d, 'KLPOL_ROAMING') ?? p.roaming;
  p.acceptParent = optBool(d, 'KLPOL_ACCEPT_PARENT') ?? p.acceptParent;
  p.forceDistribToChildren = optBool(d, 'KLPOL_FORCE_DISTRIB2CHILDREN') ?? p.forceDistribToChildren;
  p.modified = new Date();
}

/**
 * The `Policy` class (ksc-openapi-addendum.md §2.1, DOCUMENTED): only the documented attributes;
 * settings live in the policy's settings storage (GetPolicyContents + SsContents, see
 * ss-contents-methods.ts). Every attribute or parameter outside the documented lists is refused.
 */
export const policyMethods: KscHandlers = {
  'Policy.GetPoliciesForGroup': (ctx, args) => {
    onlyParams(ctx, args, ['nGroupId']);
    const groupId = argInt(args, 'nGroupId');
    if (groupId !== -1) {
      const g = ctx.site.ksc.groups.get(groupId);
      if (!g || g.vsId !== ctx.session.vsId) throw new KscWireError('STDE_NOTFOUND', `group ${groupId} not found`);
    }
    const list = [...ctx.site.ksc.policies.values()].filter(
      (p) => p.vsId === ctx.session.vsId && (groupId === -1 || p.groupId === groupId),
    );
    return { PxgRetVal: list.map(policyRecord) };
  },
  'Policy.AddPolicy': (ctx, args) => {
    onlyParams(ctx, args, ['pPolicyData']);
    const d = argParams(args, 'pPolicyData', true);
    onlyAttributes(d, [...ADD_MANDATORY, ...ADD_OPTIONAL], ctx.method);
    const missing = ADD_MANDATORY.filter((k) => d[k] === undefined || d[k] === null || d[k] === '');
    if (missing.length > 0)
      throw new KscWireError('STDE_BADPARAM', `Policy.AddPolicy: mandatory attribute(s) ${missing.join(', ')} missing`);
    if (
      typeof d.KLPOL_DN !== 'string' ||
      typeof d.KLPOL_PRODUCT !== 'string' ||
      typeof d.KLPOL_VERSION !== 'string' ||
      typeof d.KLPOL_GROUP_ID !== 'number'
    ) {
      throw new KscWireError(
        'STDE_BADPARAM',
        'KLPOL_DN, KLPOL_PRODUCT and KLPOL_VERSION are strings, KLPOL_GROUP_ID an integer',
      );
    }
    checkSsName('KLPOL_PRODUCT', d.KLPOL_PRODUCT);
    checkSsName('KLPOL_VERSION', d.KLPOL_VERSION);
    ctx.site.calls.record('Policy.AddPolicy', `${ctx.session.vsId}/${d.KLPOL_GROUP_ID}/${d.KLPOL_DN}`);
    const p = ctx.site.ksc.addPolicy(ctx.session.vsId, {
      groupId: d.KLPOL_GROUP_ID,
      name: d.KLPOL_DN,
      productName: d.KLPOL_PRODUCT,
      productVersion: d.KLPOL_VERSION,
      active: optBool(d, 'KLPOL_ACTIVE') ?? false,
      roaming: optBool(d, 'KLPOL_ROAMING') ?? false,
      acceptParent: optBool(d, 'KLPOL_ACCEPT_PARENT') ?? true,
      forceDistribToChildren: optBool(d, 'KLPOL_FORCE_DISTRIB2CHILDREN') ?? false,
      hideOnSlaves: optBool(d, 'KLPOL_HIDE_ON_SLAVES') ?? false,
    });
    return { PxgRetVal: p.id };
  },
  'Policy.GetPolicyData': (ctx, args) => {
    onlyParams(ctx, args, ['nPolicy']);
    return { PxgRetVal: policyRecord(requirePolicy(ctx, argInt(args, 'nPolicy'))) };
  },
  'Policy.UpdatePolicyData': (ctx, args) => {
    onlyParams(ctx, args, ['nPolicy', 'pPolicyData']);
    const p = requirePolicy(ctx, argInt(args, 'nPolicy'));
    const d = argParams(args, 'pPolicyData', true);
    onlyAttributes(d, CHANGEABLE, ctx.method);
    ctx.site.calls.record('Policy.UpdatePolicyData', `${ctx.session.vsId}/${p.id}`);
    applyChangeable(p, d);
    return {};
  },
  'Policy.CopyOrMovePolicy': (ctx, args) => {
    onlyParams(ctx, args, ['nPolicy', 'nNewGroupId', 'bDeleteOrigin', 'pExtraData']);
    const src = requirePolicy(ctx, argInt(args, 'nPolicy'));
    const groupId = argInt(args, 'nNewGroupId');
    const extra = argParams(args, 'pExtraData');
    onlyAttributes(extra, COPY_EXTRA, ctx.method);
    const g = ctx.site.ksc.groups.get(groupId);
    if (!g || g.vsId !== ctx.session.vsId) throw new KscWireError('STDE_NOTFOUND', `group ${groupId} not found`);
    ctx.site.calls.record(
      'Policy.CopyOrMovePolicy',
      `${ctx.session.vsId}/${groupId}/${typeof extra.KLPOL_DN === 'string' ? extra.KLPOL_DN : src.name}`,
    );
    const { id: _id, vsId: _vs, created: _c, modified: _m, ...rest } = src;
    const copy = ctx.site.ksc.addPolicy(ctx.session.vsId, { ...rest, groupId, settings: cloneStorage(src.settings) });
    applyChangeable(copy, extra);
    // ASSUMPTION: a move is a copy that deletes the original (the result is a new id either way).
    if (argBool(args, 'bDeleteOrigin', false)) ctx.site.ksc.policies.delete(src.id);
    return { PxgRetVal: copy.id };
  },
  'Policy.MakePolicyActive': (ctx, args) => {
    onlyParams(ctx, args, ['nPolicy', 'bActive']);
    const p = requirePolicy(ctx, argInt(args, 'nPolicy'));
    if (typeof args.bActive !== 'boolean')
      throw new KscWireError('STDE_BADPARAM', 'parameter bActive is required (boolean)');
    ctx.site.calls.record('Policy.MakePolicyActive', `${ctx.session.vsId}/${p.id}`);
    p.active = args.bActive;
    p.modified = new Date();
    return { PxgRetVal: true };
  },
  'Policy.DeletePolicy': (ctx, args) => {
    onlyParams(ctx, args, ['nPolicy']);
    const p = requirePolicy(ctx, argInt(args, 'nPolicy'));
    ctx.site.calls.record('Policy.DeletePolicy', `${ctx.session.vsId}/${p.id}`);
    ctx.site.ksc.policies.delete(p.id);
    return {};
  },
  'Policy.GetPolicyContents': (ctx, args) => {
    onlyParams(ctx, args, ['nPolicy', 'nRevisionId', 'nLifeTime']);
    const p = requirePolicy(ctx, argInt(args, 'nPolicy'));
    const revision = argInt(args, 'nRevisionId', 0);
    // The simulator keeps no revision history: only the current one (0) exists.
    if (revision !== 0) throw new KscModelError('STDE_NOTFOUND', `policy ${p.id} has no revision ${revision}`);
    const c = ctx.site.ksc.ssContents.openFor(p.id, ctx.session.vsId, p.settings, argInt(args, 'nLifeTime', 0));
    return { PxgRetVal: c.id };
  },
};
