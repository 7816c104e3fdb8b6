import { MAIN_SERVER } from '../ksc-model';
import { vserverRecord } from '../ksc-records';
import { KscWireError } from '../ksc-wire-error';
import {
  argInt,
  argParams,
  argString,
  argStrings,
  KscCallContext,
  KscHandlers,
  project,
  requireMainServer,
} from './method-types';

const READ_ONLY = new Set([
  'KLVSRV_ID',
  'KLVSRV_UID',
  'KLVSRV_GRP',
  'KLVSRV_GROUPS',
  'KLVSRV_SUPER',
  'KLVSRV_UNASSIGNED',
  'KLVSRV_HST_UID',
  'KLVSRV_CREATED',
  'KLVSRV_TOO_MUCH_HOSTS',
]);
const EXTRA_LIMITS: Record<string, number> = { KLVSRV_CUSTOM_INFO: Infinity, KLVSRV_NF_CUSTOM_URL: 1024 };

function record(ctx: KscCallContext, id: number): Record<string, unknown> {
  return vserverRecord(ctx.site.ksc.requireVServer(id), ctx.protocol.vserverExtras.get(id));
}

/** VServers (ksc-openapi.md §3.1): main-server sessions only. */
export const vserversMethods: KscHandlers = {
  'VServers.GetVServers': (ctx, args) => {
    requireMainServer(ctx);
    const parent = argInt(args, 'lParentGroup', -1);
    const list = [...ctx.site.ksc.vservers.values()].filter((v) => parent === -1 || v.parentGroupId === parent);
    return { PxgRetVal: list.map((v) => record(ctx, v.id)) };
  },
  'VServers.GetVServerInfo': (ctx, args) => {
    requireMainServer(ctx);
    return { PxgRetVal: project(record(ctx, argInt(args, 'lVServer')), argStrings(args, 'pFields2Return')) };
  },
  'VServers.AddVServerInfo': (ctx, args) => {
    requireMainServer(ctx);
    const name = argString(args, 'strDisplayName');
    if (name.trim() === '') throw new KscWireError('STDE_BADPARAM', 'strDisplayName must not be empty');
    const vs = ctx.site.ksc.addVServer(name, argInt(args, 'lParentGroup', 0));
    return { PxgRetVal: record(ctx, vs.id) };
  },
  'VServers.UpdateVServerInfo': (ctx, args) => {
    requireMainServer(ctx);
    const vs = ctx.site.ksc.requireVServer(argInt(args, 'lVServer'));
    const info = argParams(args, 'pInfo', true);
    const ro = Object.keys(info).filter((k) => READ_ONLY.has(k));
    // ASSUMPTION (ksc-openapi.md §3.1 / Q8): read-only attributes are refused, DN/ENABLED/LIC_ENABLED/descriptions are writable.
    if (ro.length > 0) throw new KscWireError('STDE_BADPARAM', `read-only attribute(s): ${ro.join(', ')}`);
    if (typeof info.KLVSRV_DN === 'string') {
      const clash = ctx.site.ksc.findVServerByDn(info.KLVSRV_DN);
      // ASSUMPTION (ksc-openapi.md §3.1): a rename onto another vAS's name fails rather than being made unique.
      if (clash && clash.id !== vs.id)
        throw new KscWireError('STDE_EXIST', `a virtual server named "${info.KLVSRV_DN}" already exists`);
      if (info.KLVSRV_DN.trim() === '') throw new KscWireError('STDE_BADPARAM', 'KLVSRV_DN must not be empty');
      vs.dn = info.KLVSRV_DN;
    }
    if (typeof info.KLVSRV_ENABLED === 'boolean') vs.enabled = info.KLVSRV_ENABLED;
    if (typeof info.KLVSRV_LIC_ENABLED === 'boolean') vs.licEnabled = info.KLVSRV_LIC_ENABLED;
    if (typeof info.KLVSRV_VS_DESCR === 'string') {
      if (info.KLVSRV_VS_DESCR.length > 512)
        throw new KscWireError('STDE_BADPARAM', 'KLVSRV_VS_DESCR is longer than 512 characters');
      vs.description = info.KLVSRV_VS_DESCR;
    }
    const extras = { ...ctx.protocol.vserverExtras.get(vs.id) };
    for (const [k, limit] of Object.entries(EXTRA_LIMITS)) {
      const v = info[k];
      if (typeof v !== 'string') continue;
      if (v.length > limit) throw new KscWireError('STDE_BADPARAM', `${k} is longer than ${limit} characters`);
      extras[k] = v;
    }
    if (typeof info.KLVSRV_NEW_HOSTS_PROHIBITED === 'boolean')
      extras.KLVSRV_NEW_HOSTS_PROHIBITED = info.KLVSRV_NEW_HOSTS_PROHIBITED;
    ctx.protocol.vserverExtras.set(vs.id, extras);
    return {};
  },
  'VServers.DelVServer': (ctx, args) => {
    requireMainServer(ctx);
    const id = argInt(args, 'lVServer');
    if (id === MAIN_SERVER) throw new KscWireError('STDE_BADPARAM', 'lVServer must be a virtual server id');
    ctx.site.ksc.requireVServer(id);
    const guid = ctx.protocol.actions.start(ctx.method, ctx.session.token, () => {
      // ASSUMPTION (ksc-openapi.md Q15): the vAS goes with everything inside it, sessions included.
      ctx.site.ksc.deleteVServer(id);
      ctx.protocol.forgetVServer(id);
    });
    return { strActionGuid: guid };
  },
  'VServers.RecallCertAndCloseConnections': (ctx, args) => {
    requireMainServer(ctx);
    const vs = ctx.site.ksc.requireVServer(argInt(args, 'lVServer'));
    ctx.protocol.certRecalls.push({ vsId: vs.id, at: new Date() });
    return {};
  },
};
