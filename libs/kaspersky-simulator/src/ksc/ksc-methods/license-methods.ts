import { licenseKeyRecord } from '../ksc-licenses';
import { KscWireError } from '../ksc-wire-error';
import { KscArgs } from '../ksc-codec';
import { argArray, argInt, argParams, argString, argStrings, KscHandlers, project, sortRecords } from './method-types';

/** A real server refuses parameters a method does not take (e.g. an invented name); so does the simulator. */
function onlyParams(method: string, args: KscArgs, allowed: string[]): void {
  const unknown = Object.keys(args).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new KscWireError('STDE_BADPARAM', `${method}: unknown parameter(s) ${unknown.join(', ')}`);
}

/**
 * LicenseKeys (ksc-openapi-addendum.md §3.2, DOCUMENTED KSC13/a00502, KSC16/a00569) over the
 * session's server key storage, and the GroupSyncIterator that EnumKeys hands out.
 */
export const licenseMethods: KscHandlers = {
  'LicenseKeys.EnumKeys': (ctx, args) => {
    onlyParams(ctx.method, args, ['pFields', 'pFieldsToOrder', 'pOptions', 'lTimeoutSec']);
    const fields = argStrings(args, 'pFields');
    if (fields.length === 0) throw new KscWireError('STDE_BADPARAM', 'pFields must name the attributes to return');
    argParams(args, 'pOptions');
    const records = sortRecords(
      ctx.site.ksc.licenseKeys.of(ctx.session.vsId).map(licenseKeyRecord),
      argArray(args, 'pFieldsToOrder'),
    ).map((r) => project(r, fields));
    const iterator = ctx.protocol.groupSyncIterators.create(
      ctx.session.token,
      records,
      argInt(args, 'lTimeoutSec', 900),
    );
    return { lKeyCount: records.length, wstrIterator: iterator };
  },
  /** `pKeyInfo` names the key (KLLIC_SERIAL) and every attribute wanted; the key body needs the ExportLicense right. */
  'LicenseKeys.GetKeyData': (ctx, args) => {
    onlyParams(ctx.method, args, ['pKeyInfo']);
    const info = argParams(args, 'pKeyInfo', true);
    const serial = typeof info.KLLIC_SERIAL === 'string' ? info.KLLIC_SERIAL : '';
    if (!serial) throw new KscWireError('STDE_BADPARAM', 'pKeyInfo.KLLIC_SERIAL is required');
    if ('KLLICSRV_KEYDATA' in info)
      throw new KscWireError('STDE_NOACCESS', 'KLLICSRV_KEYDATA needs the ExportLicense right');
    const key = ctx.site.ksc.licenseKeys.of(ctx.session.vsId).find((k) => k.serial === serial);
    if (!key) throw new KscWireError('STDE_NOTFOUND', `key ${serial} not found`);
    return { PxgRetVal: project(licenseKeyRecord(key), Object.keys(info)) };
  },
  'GroupSyncIterator.GetNextItems': (ctx, args) => {
    onlyParams(ctx.method, args, ['szwIterator', 'nCount']);
    const count = argInt(args, 'nCount');
    if (count < 1) throw new KscWireError('STDE_BADPARAM', 'nCount must be positive');
    const { items, eof } = ctx.protocol.groupSyncIterators.next(
      argString(args, 'szwIterator'),
      ctx.session.token,
      count,
    );
    return { bEOF: eof, pData: { KLCSP_ITERATOR_ARRAY: items }, PxgRetVal: items.length > 0 };
  },
  'GroupSyncIterator.ReleaseIterator': (ctx, args) => {
    onlyParams(ctx.method, args, ['szwIterator']);
    ctx.protocol.groupSyncIterators.release(argString(args, 'szwIterator'), ctx.session.token);
    return {};
  },
};
