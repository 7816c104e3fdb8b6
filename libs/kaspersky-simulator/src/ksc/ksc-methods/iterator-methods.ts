import { KscWireError } from '../ksc-wire-error';
import { argInt, argString, KscHandlers } from './method-types';

/** ChunkAccessor (§4.1) and the EventProcessing event iterator (§4.3). */
export const iteratorMethods: KscHandlers = {
  'ChunkAccessor.GetItemsCount': (ctx, args) => ({
    PxgRetVal: ctx.protocol.resultSets.get('chunk', argString(args, 'strAccessor'), ctx.session.token).length,
  }),
  'ChunkAccessor.GetItemsChunk': (ctx, args) => {
    const items = ctx.protocol.resultSets.get('chunk', argString(args, 'strAccessor'), ctx.session.token);
    const start = argInt(args, 'nStart', 0);
    const count = argInt(args, 'nCount', 0);
    if (start < 0 || count < 0) throw new KscWireError('STDE_BADPARAM', 'nStart and nCount must not be negative');
    const chunk = items.slice(start, start + count);
    return { pChunk: { KLCSP_ITERATOR_ARRAY: chunk }, PxgRetVal: chunk.length };
  },
  'ChunkAccessor.Release': (ctx, args) => {
    ctx.protocol.resultSets.release('chunk', argString(args, 'strAccessor'), ctx.session.token);
    return {};
  },
  'EventProcessing.GetRecordCount': (ctx, args) => ({
    PxgRetVal: ctx.protocol.resultSets.get('events', argString(args, 'strIteratorId'), ctx.session.token).length,
  }),
  'EventProcessing.GetRecordRange': (ctx, args) => {
    const items = ctx.protocol.resultSets.get('events', argString(args, 'strIteratorId'), ctx.session.token);
    const start = argInt(args, 'nStart', 0);
    const end = argInt(args, 'nEnd');
    // Window rule as documented for SrvView.GetRecordRange (ksc-openapi.md §4.3).
    if (start < 0 || end - start < 0 || end - start >= 65536)
      throw new KscWireError('STDE_BADPARAM', 'need 0 <= nEnd - nStart < 65536');
    // ASSUMPTION (ksc-openapi.md §4.3): nEnd is exclusive.
    return { pParamsEvents: { KLEVP_EVENT_RANGE_ARRAY: items.slice(start, end) } };
  },
  'EventProcessing.ReleaseIterator': (ctx, args) => {
    ctx.protocol.resultSets.release('events', argString(args, 'strIteratorId'), ctx.session.token);
    return {};
  },
  'AsyncActionStateChecker.CheckActionState': (ctx, args) => ({
    ...ctx.protocol.actions.check(argString(args, 'wstrActionGuid'), ctx.session.token),
  }),
};
