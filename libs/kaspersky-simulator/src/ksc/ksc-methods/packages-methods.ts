import { KscWireError } from '../ksc-wire-error';
import { packageRecord, packageRecord2 } from '../ksc-records';
import { argInt, KscHandlers, requireMainServer } from './method-types';

/** PackagesApi (ksc-openapi.md §3.7), scoped to the session's server. */
export const packagesMethods: KscHandlers = {
  'PackagesApi.GetPackages': (ctx) => ({ PxgRetVal: ctx.site.ksc.packagesOf(ctx.session.vsId).map(packageRecord) }),
  'PackagesApi.GetPackages2': (ctx) => ({ PxgRetVal: ctx.site.ksc.packagesOf(ctx.session.vsId).map(packageRecord2) }),
  'PackagesApi.GetPackageInfo2': (ctx, args) => {
    const id = argInt(args, 'nPackageId');
    const p = ctx.site.ksc.packages.get(id);
    if (!p || p.vsId !== ctx.session.vsId) throw new KscWireError('STDE_NOTFOUND', `package ${id} not found`);
    return { PxgRetVal: packageRecord(p) };
  },
  /** Returns the request id as PxgRetVal (not strActionGuid) and is polled like any action (§3.5). */
  'PackagesApi.RetranslateToVServerAsync': (ctx, args) => {
    requireMainServer(ctx);
    const packageId = argInt(args, 'nPackageId');
    const vsId = argInt(args, 'nVServerId');
    // Unknown package or vAS fail the action (lStateCode 0), like the other asynchronous checks.
    const guid = ctx.protocol.actions.start(ctx.method, ctx.session.token, () => {
      ctx.site.ksc.retranslatePackage(packageId, vsId);
    });
    return { PxgRetVal: guid };
  },
};
