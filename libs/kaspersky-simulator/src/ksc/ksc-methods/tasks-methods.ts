import { MAX_RESULT_SET_LIFETIME_S } from '../ksc-result-sets';
import { argArray, argParams, argString, argStrings, KscHandlers, project, sortRecords } from './method-types';

/** Tasks (ksc-openapi.md §3.6); history goes through an EventProcessing iterator. */
export const tasksMethods: KscHandlers = {
  'Tasks.AddTask': (ctx, args) => ({ PxgRetVal: ctx.protocol.tasks.add(ctx.session.vsId, argParams(args, 'pData', true)) }),
  'Tasks.GetTask': (ctx, args) => ({ PxgRetVal: ctx.protocol.tasks.summary(ctx.session.vsId, argString(args, 'strTask')) }),
  'Tasks.GetTaskData': (ctx, args) => ({ PxgRetVal: ctx.protocol.tasks.require(ctx.session.vsId, argString(args, 'strTask')).data }),
  'Tasks.UpdateTask': (ctx, args) => {
    ctx.protocol.tasks.update(ctx.session.vsId, argString(args, 'strTask'), argParams(args, 'pData', true));
    return {};
  },
  'Tasks.RunTask': (ctx, args) => {
    ctx.protocol.tasks.run(ctx.session.vsId, argString(args, 'strTask'));
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
  'Tasks.GetTaskStatistics2': (ctx, args) => ({ PxgRetVal: ctx.protocol.tasks.statistics(ctx.session.vsId, argString(args, 'strTask')) }),
  'Tasks.GetTaskHistory': (ctx, args) => {
    const events = ctx.protocol.tasks.history(ctx.session.vsId, argString(args, 'strTask'), argString(args, 'strHostName', ''));
    // ASSUMPTION (ksc-openapi.md §3.6): pFilter holds attribute → value pairs that must all match.
    const filter = Object.entries(argParams(args, 'pFilter'));
    const matching = events.map((e) => ({ ...e }) as Record<string, unknown>).filter((e) => filter.every(([k, v]) => e[k] === v));
    const rows = sortRecords(matching, argArray(args, 'pSortFields')).map((e) => project(e, argStrings(args, 'pFields2Return')));
    // ASSUMPTION (ksc-openapi.md §4.3): event iterators live as long as the longest result set.
    return { strIteratorId: ctx.protocol.resultSets.create('events', ctx.session.token, rows, MAX_RESULT_SET_LIFETIME_S) };
  },
};
