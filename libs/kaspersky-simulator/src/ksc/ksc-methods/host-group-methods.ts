import { compileFilter, KscFilterError, KscPredicate, KscRecord } from '../ksc-filter';
import { Host, MAIN_SERVER } from '../ksc-model';
import { groupRecord, hostAttribute, hostRecord } from '../ksc-records';
import { KscWireError } from '../ksc-wire-error';
import {
  argArray,
  argInt,
  argParams,
  argString,
  argStrings,
  KscCallContext,
  KscHandlers,
  project,
  sortRecords,
} from './method-types';
import { KscArgs } from '../ksc-codec';

/** Servers a Find* call searches: the session's own, plus every vAS from the main server unless KLGRP_FIND_FROM_CUR_VS_ONLY. */
function searchScope(ctx: KscCallContext, args: KscArgs): (vsId: number) => boolean {
  const own = ctx.session.vsId;
  const curOnly = argParams(args, 'pParams').KLGRP_FIND_FROM_CUR_VS_ONLY === true;
  // ASSUMPTION (ksc-openapi.md §3.2): a main-server search without the flag also covers vAS objects.
  return own === MAIN_SERVER && !curOnly ? () => true : (vsId) => vsId === own;
}

/** The Find* filter of `args`, compiled (a malformed one is STDE_BADPARAM). */
function filterOf(ctx: KscCallContext, args: KscArgs): KscPredicate {
  try {
    return compileFilter(argString(args, 'wstrFilter', ''), {
      caseInsensitive: ctx.site.assumptions.kscFilterCaseInsensitive,
    });
  } catch (e) {
    if (e instanceof KscFilterError) throw new KscWireError('STDE_BADPARAM', `wstrFilter: ${e.message}`);
    throw e;
  }
}

/** The records matching the filter, ordered and projected, as a chunk result set. */
function find(
  ctx: KscCallContext,
  args: KscArgs,
  records: Record<string, unknown>[],
): { strAccessor: string; PxgRetVal: number } {
  return resultSet(ctx, args, records.filter(filterOf(ctx, args)));
}

/** Records already matched, ordered and projected, as a chunk result set. */
function resultSet(
  ctx: KscCallContext,
  args: KscArgs,
  matching: Record<string, unknown>[],
): { strAccessor: string; PxgRetVal: number } {
  const fields = argStrings(args, 'vecFieldsToReturn');
  const rows = sortRecords(matching, argArray(args, 'vecFieldsToOrder')).map((r) => project(r, fields));
  const accessor = ctx.protocol.resultSets.create('chunk', ctx.session.token, rows, argInt(args, 'lMaxLifeTime', 0));
  return { strAccessor: accessor, PxgRetVal: rows.length };
}

function requireGroup(ctx: KscCallContext, id: number) {
  const g = ctx.site.ksc.groups.get(id);
  if (!g || g.vsId !== ctx.session.vsId) throw new KscWireError('STDE_NOTFOUND', `group ${id} not found`);
  return g;
}

/** HostGroup (ksc-openapi.md §3.2), scoped to the session's server. */
export const hostGroupMethods: KscHandlers = {
  'HostGroup.GroupIdGroups': (ctx) => ({ PxgRetVal: ctx.site.ksc.rootGroupOf(ctx.session.vsId) }),
  'HostGroup.GroupIdUnassigned': (ctx) => ({ PxgRetVal: ctx.site.ksc.unassignedGroupOf(ctx.session.vsId) }),
  // ASSUMPTION (ksc-openapi.md §3.2): the main server has no "master server" group in the model; -1 there.
  'HostGroup.GroupIdSuper': (ctx) => ({
    PxgRetVal: ctx.session.vsId === MAIN_SERVER ? -1 : ctx.site.ksc.requireVServer(ctx.session.vsId).superId,
  }),
  'HostGroup.GetGroupId': (ctx, args) => {
    const g = ctx.site.ksc.childGroup(ctx.session.vsId, argInt(args, 'nParent'), argString(args, 'strName'));
    return { PxgRetVal: g ? g.id : -1 };
  },
  'HostGroup.GetGroupInfoEx': (ctx, args) => {
    const attrs = argStrings(args, 'pArrAttributes');
    if (attrs.length > 100) throw new KscWireError('STDE_BADPARAM', 'at most 100 attributes');
    return { PxgRetVal: project(groupRecord(ctx.site.ksc, requireGroup(ctx, argInt(args, 'nGroupId'))), attrs) };
  },
  'HostGroup.AddGroup': (ctx, args) => {
    const info = argParams(args, 'pInfo', true);
    if (typeof info.name !== 'string' || info.name.trim() === '')
      throw new KscWireError('STDE_BADPARAM', 'pInfo.name is required');
    const parent = typeof info.parentId === 'number' ? info.parentId : ctx.site.ksc.rootGroupOf(ctx.session.vsId);
    return { PxgRetVal: ctx.site.ksc.addGroup(ctx.session.vsId, info.name, parent).id };
  },
  'HostGroup.RemoveGroup': (ctx, args) => {
    const id = argInt(args, 'nGroup');
    const flags = argInt(args, 'nFlags', 1);
    const vsId = ctx.session.vsId;
    requireGroup(ctx, id);
    const guid = ctx.protocol.actions.start(ctx.method, ctx.session.token, () =>
      ctx.site.ksc.removeGroup(vsId, id, flags),
    );
    return { strActionGuid: guid };
  },
  'HostGroup.FindHosts': (ctx, args) => {
    const inScope = searchScope(ctx, args);
    const filter = filterOf(ctx, args);
    // The filter reads a host's attributes through a view that computes only those it names (one or
    // two of the seventeen); only the matching hosts become whole records. Same result as filtering
    // every host's hostRecord, without building a record per host of the site on every call.
    const ksc = ctx.site.ksc;
    let host: Host | undefined;
    const view = new Proxy({} as KscRecord, {
      get: (_target, name) => (typeof name === 'string' && host ? hostAttribute(ksc, host, name) : undefined),
    });
    const matching = [...ksc.hosts.values()].filter((h) => {
      if (!inScope(h.vsId)) return false;
      host = h;
      return filter(view);
    });
    return resultSet(
      ctx,
      args,
      matching.map((h) => hostRecord(ksc, h)),
    );
  },
  'HostGroup.FindGroups': (ctx, args) => {
    const inScope = searchScope(ctx, args);
    return find(
      ctx,
      args,
      [...ctx.site.ksc.groups.values()].filter((g) => inScope(g.vsId)).map((g) => groupRecord(ctx.site.ksc, g)),
    );
  },
  'HostGroup.GetHostInfo': (ctx, args) => {
    const h = ctx.site.ksc.requireHost(ctx.session.vsId, argString(args, 'strHostName'));
    return { PxgRetVal: project(hostRecord(ctx.site.ksc, h), argStrings(args, 'pFields2Return')) };
  },
  /**
   * ASSUMPTION (ksc-openapi.md §3.2): products as `{<product>: {<version>: {DisplayName, ProdVersion}}}`,
   * version key "1.0.0.0" like the task product triple.
   */
  'HostGroup.GetHostProducts': (ctx, args) => {
    const h = ctx.site.ksc.requireHost(ctx.session.vsId, argString(args, 'strHostName'));
    const products: Record<string, unknown> = {};
    for (const p of h.products) {
      const pkg = [...ctx.site.ksc.packages.values()].find((x) => x.productName === p);
      products[p] = {
        '1.0.0.0': {
          DisplayName: pkg?.name.replace(/\s*\([^)]*\)$/, '') ?? p,
          ProdVersion: p === '1103' ? (h.nagentVersion ?? '') : (pkg?.productVersion ?? ''),
        },
      };
    }
    return { PxgRetVal: products };
  },
  'HostGroup.AddHost': (ctx, args) => {
    const info = argParams(args, 'pInfo', true);
    const dn = info.KLHST_WKS_DN;
    const groupId = info.KLHST_WKS_GROUPID;
    if (typeof dn !== 'string' || dn === '' || typeof groupId !== 'number')
      throw new KscWireError('STDE_BADPARAM', 'KLHST_WKS_DN and KLHST_WKS_GROUPID are required');
    const dnsName =
      typeof info.KLHST_WKS_DNSNAME === 'string' && info.KLHST_WKS_DNSNAME !== '' ? info.KLHST_WKS_DNSNAME : dn;
    const dnsDomain = typeof info.KLHST_WKS_DNSDOMAIN === 'string' ? info.KLHST_WKS_DNSDOMAIN : '';
    const h = ctx.site.ksc.addHost(ctx.session.vsId, {
      groupId,
      dn,
      dnsName,
      dnsDomain,
      fqdn: dnsDomain ? `${dnsName}.${dnsDomain}` : dnsName,
      ip: typeof info.KLHST_WKS_IP === 'string' ? info.KLHST_WKS_IP : undefined,
    });
    return { PxgRetVal: h.hostName };
  },
  'HostGroup.MoveHostsToGroup': (ctx, args) => {
    ctx.site.ksc.moveHostsToGroup(ctx.session.vsId, argInt(args, 'nGroup'), argStrings(args, 'pHostNames'));
    return {};
  },
  'HostGroup.RemoveHost': (ctx, args) => {
    const h = ctx.site.ksc.requireHost(ctx.session.vsId, argString(args, 'strHostName'));
    ctx.site.ksc.hosts.delete(h.hostName);
    return {};
  },
  /** ksc-openapi.md §3.10 (weak source): server facts, notably KLADMSRV_VSID of the session. */
  'HostGroup.GetStaticInfo': (ctx, args) => {
    const vs = ctx.session.vsId;
    const all: Record<string, unknown> = {
      KLADMSRV_VSID: vs,
      KLADMSRV_IS_VIRTUAL: vs !== MAIN_SERVER,
      KLADMSRV_VS_DN: vs === MAIN_SERVER ? undefined : ctx.site.ksc.requireVServer(vs).dn,
      KLADMSRV_SERVER_VERSION_ID: 15,
      KLADMSRV_PRODUCT_FULL_VERSION: '15.1.0.20748',
      KLADMSRV_SERVER_HOSTNAME: `ksc-${ctx.site.id}`,
    };
    return { PxgRetVal: project(all, argStrings(args, 'pValues')) };
  },
};
