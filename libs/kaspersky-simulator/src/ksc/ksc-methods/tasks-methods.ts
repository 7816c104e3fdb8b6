import { MAX_RESULT_SET_LIFETIME_S } from '../ksc-result-sets';
import { argArray, argInt, argParams, argString, argStrings, KscHandlers, project, sortRecords } from './method-types';
import { KscWireError } from '../ksc-wire-error';

/** Tasks (ksc-openapi.md §3.6); history goes through an EventProcessing iterator. */
export const tasksMethods: KscHandlers = {
  'Tasks.AddTask': (ctx, args) => {
    const data = argParams(args, 'pData', true);
    const id = ctx.protocol.tasks.add(ctx.session.vsId, data);
    ctx.site.counters.hit(`Tasks.AddTask:${String(data.TASK_NAME)}`); // per task type, for tests (admin counters)
    return { PxgRetVal: id };
  },
  'Tasks.GetTask': (ctx, args) => ({
    PxgRetVal: ctx.protocol.tasks.summary(ctx.session.vsId, argString(args, 'strTask')),
  }),
  'Tasks.GetTaskData': (ctx, args) => ({
    PxgRetVal: ctx.protocol.tasks.require(ctx.session.vsId, argString(args, 'strTask')).data,
  }),
  'Tasks.UpdateTask': (ctx, args) => {
    ctx.protocol.tasks.update(ctx.session.vsId, argString(args, 'strTask'), argParams(args, 'pData', true));
    return {};
  },
  'Tasks.RunTask': (ctx, args) => {
    const id = argString(args, 'strTask');
    ctx.protocol.tasks.run(ctx.session.vsId, id);
    ctx.site.counters.hit(`Tasks.RunTask:${String(ctx.protocol.tasks.require(ctx.session.vsId, id).data.TASK_NAME)}`);
    return {};
  },
  'Tasks.CancelTask': (ctx, args) => {
    ctx.protocol.tasks.cancel(ctx.session.vsId, argString(args, 'strTask'));
    return {};
  },
  'Tasks.DeleteTask': (ctx, args) => {
    ctx.protocol.tasks.delete(ctx.session.vsId, argString(args, 'strTask'));
    return {};
  },
  'Tasks.AddHostToTask': (ctx, args) => {
    ctx.protocol.tasks.addHost(ctx.session.vsId, argString(args, 'strTask'), argString(args, 'strHostName'));
    return {};
  },
  'Tasks.GetTaskStatistics2': (ctx, args) => ({
    PxgRetVal: ctx.protocol.tasks.statistics(ctx.session.vsId, argString(args, 'strTask')),
  }),
  /** Tasks.ProtectPassword (ksc-openapi.md §3.6): a blob only this server can read back (its accounts in task settings). */
  'Tasks.ProtectPassword': (ctx, args) => {
    const plain = argString(args, 'strPassword');
    if (plain === '') throw new KscWireError('STDE_BADPARAM', 'strPassword must not be empty');
    return { PxgRetVal: ctx.protocol.vault.protect(plain) };
  },
  /** Per-device status records (addendum §1.5): a host-status iterator of the requested fields, ordered by pFields2Order. */
  'Tasks.ResetHostIteratorForTaskStatusEx': (ctx, args) => {
    const records = ctx.protocol.tasks.hostStatuses(
      ctx.session.vsId,
      argString(args, 'strTask'),
      argInt(args, 'nHostStateMask', 0x7f),
    );
    const rows = sortRecords(records, argArray(args, 'pFields2Order')).map((r) =>
      project(r, argStrings(args, 'pFields2Return')),
    );
    return {
      strHostIteratorId: ctx.protocol.resultSets.create(
        'host-status',
        ctx.session.token,
        rows,
        argInt(args, 'nLifetime', 600),
      ),
    };
  },
  'Tasks.GetHostStatusRecordsCount': (ctx, args) => ({
    PxgRetVal: ctx.protocol.resultSets.get('host-status', argString(args, 'strHostIteratorId'), ctx.session.token)
      .length,
  }),
  /** ASSUMPTION (addendum §1.5): nEnd exclusive, as for EventProcessing.GetRecordRange. */
  'Tasks.GetHostStatusRecordRange': (ctx, args) => {
    const items = ctx.protocol.resultSets.get('host-status', argString(args, 'strHostIteratorId'), ctx.session.token);
    const start = argInt(args, 'nStart', 0);
    const end = argInt(args, 'nEnd');
    if (start < 0 || end < start) throw new KscWireError('STDE_BADPARAM', 'need 0 <= nStart <= nEnd');
    const rows = items.slice(start, end);
    return { PxgRetVal: rows.length, pParHostStatus: { statuses: rows } };
  },
  'Tasks.ReleaseHostStatusIterator': (ctx, args) => {
    ctx.protocol.resultSets.release('host-status', argString(args, 'strHostIteratorId'), ctx.session.token);
    return {};
  },
  'Tasks.GetTaskHistory': (ctx, args) => {
    const events = ctx.protocol.tasks.history(
      ctx.session.vsId,
      argString(args, 'strTask'),
      argString(args, 'strHostName', ''),
    );
    // ASSUMPTION (ksc-openapi.md §3.6): pFilter holds attribute → value pairs that must all match.
    const filter = Object.entries(argParams(args, 'pFilter'));
    const matching = events
      .map((e) => ({ ...e }) as Record<string, unknown>)
      .filter((e) => filter.every(([k, v]) => e[k] === v));
    const rows = sortRecords(matching, argArray(args, 'pSortFields')).map((e) =>
      project(e, argStrings(args, 'pFields2Return')),
    );
    // ASSUMPTION (ksc-openapi.md §4.3): event iterators live as long as the longest result set.
    return {
      strIteratorId: ctx.protocol.resultSets.create('events', ctx.session.token, rows, MAX_RESULT_SET_LIFETIME_S),
    };
  },
};
