import { KscModelError } from '../ksc-model';
import { checkSsName, cloneStorage, OpenContents, policyVariables, SettingsSection } from '../ksc-settings-storage';
import { KscArgs } from '../ksc-codec';
import { argParams, argString, KscCallContext, KscHandlers, onlyParams } from './method-types';

const TARGET = ['wstrID', 'wstrProduct', 'wstrVersion', 'wstrSection'] as const;
/** DOCUMENTED for Ss_Replace (addendum §2.4 example); ASSUMPTION for Ss_Update / Ss_Add (same shape). */
const DATA = 'pNewData';

function open(ctx: KscCallContext, args: KscArgs): OpenContents {
  return ctx.site.ksc.ssContents.require(argString(args, 'wstrID'), ctx.session.vsId);
}

function names(args: KscArgs): { product: string; version: string; section: string } {
  const product = argString(args, 'wstrProduct');
  const version = argString(args, 'wstrVersion');
  const section = argString(args, 'wstrSection');
  checkSsName('product', product);
  checkSsName('version', version);
  checkSsName('section', section);
  return { product, version, section };
}

function existingSection(c: OpenContents, args: KscArgs): SettingsSection {
  const { product, version, section } = names(args);
  const s = c.working[product]?.[version]?.[section];
  if (!s)
    throw new KscModelError(
      'STDE_NOTFOUND',
      `section ${product}/${version}/${section} not found in the settings storage`,
    );
  return s;
}

/**
 * SsContents (ksc-openapi-addendum.md §2.2, DOCUMENTED KSC13/a00550) over a policy's settings
 * storage: edits go to the id's working copy, `Ss_Apply` saves them into the policy, `Ss_Release`
 * frees the id. Sections must exist before Ss_Update / Ss_Add / Ss_Replace (Ss_CreateSection).
 */
export const ssContentsMethods: KscHandlers = {
  'SsContents.SS_GetNames': (ctx, args) => {
    onlyParams(ctx, args, ['wstrID', 'wstrProduct', 'wstrVersion']);
    const c = open(ctx, args);
    const product = argString(args, 'wstrProduct', '');
    const version = argString(args, 'wstrVersion', '');
    if (product === '' && version !== '') throw new KscModelError('STDE_BADPARAM', 'wstrVersion without wstrProduct');
    if (product === '') return { PxgRetVal: Object.keys(c.working) };
    checkSsName('product', product);
    if (version === '') return { PxgRetVal: Object.keys(c.working[product] ?? {}) };
    checkSsName('version', version);
    return { PxgRetVal: Object.keys(c.working[product]?.[version] ?? {}) };
  },
  'SsContents.Ss_Read': (ctx, args) => {
    onlyParams(ctx, args, TARGET);
    return { PxgRetVal: structuredClone(existingSection(open(ctx, args), args)) };
  },
  'SsContents.Ss_Update': (ctx, args) => {
    onlyParams(ctx, args, [...TARGET, DATA]);
    const s = existingSection(open(ctx, args), args);
    const vars = policyVariables(argParams(args, DATA, true));
    const missing = Object.keys(vars).filter((k) => !(k in s));
    if (missing.length > 0)
      throw new KscModelError(
        'STDE_NOTFOUND',
        `Ss_Update: variable(s) ${missing.join(', ')} not in the section (Ss_Add or Ss_Replace adds)`,
      );
    Object.assign(s, vars);
    return {};
  },
  'SsContents.Ss_Add': (ctx, args) => {
    onlyParams(ctx, args, [...TARGET, DATA]);
    const s = existingSection(open(ctx, args), args);
    const vars = policyVariables(argParams(args, DATA, true));
    const present = Object.keys(vars).filter((k) => k in s);
    if (present.length > 0)
      throw new KscModelError('STDE_EXIST', `Ss_Add: variable(s) ${present.join(', ')} already exist`);
    Object.assign(s, vars);
    return {};
  },
  'SsContents.Ss_Replace': (ctx, args) => {
    onlyParams(ctx, args, [...TARGET, DATA]);
    const s = existingSection(open(ctx, args), args);
    Object.assign(s, policyVariables(argParams(args, DATA, true)));
    return {};
  },
  'SsContents.Ss_CreateSection': (ctx, args) => {
    onlyParams(ctx, args, TARGET);
    const c = open(ctx, args);
    const { product, version, section } = names(args);
    const versions = (c.working[product] ??= {});
    const sections = (versions[version] ??= {});
    // ASSUMPTION: creating a section that exists changes nothing (the client looks with SS_GetNames first).
    sections[section] ??= {};
    return {};
  },
  'SsContents.Ss_Apply': (ctx, args) => {
    onlyParams(ctx, args, ['wstrID']);
    const c = open(ctx, args);
    const p = ctx.site.ksc.requirePolicy(ctx.session.vsId, c.policyId);
    ctx.site.calls.record('SsContents.Ss_Apply', `${ctx.session.vsId}/${p.id}`);
    p.settings = cloneStorage(c.working);
    p.modified = new Date();
    return {};
  },
  'SsContents.Ss_Release': (ctx, args) => {
    onlyParams(ctx, args, ['wstrID']);
    ctx.site.ksc.ssContents.release(argString(args, 'wstrID'), ctx.session.vsId);
    return {};
  },
};
