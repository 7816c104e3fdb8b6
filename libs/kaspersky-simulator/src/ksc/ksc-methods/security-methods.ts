import { KscIn } from '../ksc-codec';
import { MAIN_SERVER } from '../ksc-model';
import { userRecord } from '../ksc-records';
import { KscWireError } from '../ksc-wire-error';
import { argInt, argParams, argString, KscCallContext, KscHandlers } from './method-types';

const USER_EXTRAS = ['KLSPL_USER_FULL_NAME', 'KLSPL_USER_DESCRIPTION', 'KLSPL_USER_MAIL', 'KLSPL_USER_PHONE'];

/** KLSPL_USER_PWD_ENCRYPTED (a blob from ProtectUtf16StringGlobally, wrapped or bare base64) or the obsolete KLSPL_USER_PWD. */
function passwordOf(ctx: KscCallContext, user: Record<string, KscIn>): string {
  const enc = user.KLSPL_USER_PWD_ENCRYPTED;
  if (enc !== undefined && enc !== null) {
    const blob = Buffer.isBuffer(enc) ? enc : typeof enc === 'string' ? Buffer.from(enc, 'base64') : undefined;
    const plain = blob ? ctx.protocol.vault.unprotect(blob) : undefined;
    if (plain === undefined)
      throw new KscWireError(
        'STDE_BADPARAM',
        'KLSPL_USER_PWD_ENCRYPTED was not produced by this Administration Server',
      );
    return plain;
  }
  if (typeof user.KLSPL_USER_PWD === 'string' && user.KLSPL_USER_PWD !== '') return user.KLSPL_USER_PWD;
  throw new KscWireError('STDE_BADPARAM', 'KLSPL_USER_PWD_ENCRYPTED is required');
}

function requireUser(ctx: KscCallContext, id: number) {
  const u = ctx.site.ksc.users.get(id);
  if (!u || u.vsId !== ctx.session.vsId) throw new KscWireError('STDE_NOTFOUND', `user ${id} not found`);
  return u;
}

/** DataProtectionApi, SecurityPolicy and SecurityPolicy3 (ksc-openapi.md §3.8), scoped to the session's server. */
export const securityMethods: KscHandlers = {
  'DataProtectionApi.ProtectUtf16StringGlobally': (ctx, args) => ({
    PxgRetVal: ctx.protocol.vault.protect(argString(args, 'szwPlainText')),
  }),
  'SecurityPolicy.AddUser': (ctx, args) => {
    const pUser = argParams(args, 'pUser', true);
    const name = pUser.KLSPL_USER_NAME;
    if (typeof name !== 'string' || name.trim() === '')
      throw new KscWireError('STDE_BADPARAM', 'KLSPL_USER_NAME is required');
    const user = ctx.site.ksc.addUser(ctx.session.vsId, name, passwordOf(ctx, pUser));
    if (pUser.KLSPL_USER_ENABLED === false) user.enabled = false;
    const extras = Object.fromEntries(
      USER_EXTRAS.filter((k) => typeof pUser[k] === 'string').map((k) => [k, pUser[k]]),
    );
    ctx.protocol.userExtras.set(user.id, extras);
    return { PxgRetVal: user.id };
  },
  /** Live sessions of the user survive; SecurityPolicy3.CloseUserConnections ends them (§5 F4). */
  'SecurityPolicy.DeleteUser': (ctx, args) => {
    const id = argInt(args, 'lUserId');
    ctx.site.ksc.deleteUser(ctx.session.vsId, id);
    ctx.protocol.userExtras.delete(id);
    return {};
  },
  /**
   * ASSUMPTION (not in ksc-openapi.md): GetUsers(lUserId, lVsId) with -1 = all users / current
   * server; a vAS session sees its own users only.
   */
  'SecurityPolicy.GetUsers': (ctx, args) => {
    const userId = argInt(args, 'lUserId', -1);
    const requested = argInt(args, 'lVsId', -1);
    const vsId = requested === -1 || ctx.session.vsId !== MAIN_SERVER ? ctx.session.vsId : requested;
    const users = [...ctx.site.ksc.users.values()].filter((u) => u.vsId === vsId && (userId === -1 || u.id === userId));
    return { PxgRetVal: users.map((u) => userRecord(u, ctx.protocol.userExtras.get(u.id))) };
  },
  /** lVsId is ignored in a vAS session (§3.8); from the main server -1/0 means the main server. */
  'SecurityPolicy3.AddSecurityGroup': (ctx, args) => {
    const p = argParams(args, 'pGrpParams', true);
    const name = p.KLSPL_SEC_GRP_NAME;
    if (typeof name !== 'string' || name.trim() === '')
      throw new KscWireError('STDE_BADPARAM', 'KLSPL_SEC_GRP_NAME is required');
    const requested = argInt(args, 'lVsId', -1);
    const vsId =
      ctx.session.vsId !== MAIN_SERVER || requested <= 0 ? ctx.session.vsId : ctx.site.ksc.requireVServer(requested).id;
    return {
      PxgRetVal: ctx.site.ksc.addSecurityGroup(
        vsId,
        name,
        typeof p.KLSPL_SEC_GRP_DESC === 'string' ? p.KLSPL_SEC_GRP_DESC : '',
      ).id,
    };
  },
  'SecurityPolicy3.AddUserIntoSecurityGroup': (ctx, args) => {
    ctx.site.ksc.addUserToSecurityGroup(ctx.session.vsId, argInt(args, 'lUserId'), argInt(args, 'lGrpId'));
    return {};
  },
  'SecurityPolicy3.CloseUserConnections': (ctx, args) => {
    const user = requireUser(ctx, argInt(args, 'lUserId'));
    ctx.protocol.sessions.endWhere((s) => s.principal === user.id);
    return {};
  },
};
