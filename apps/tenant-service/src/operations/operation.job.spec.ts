import { DomainError } from '@tpo/platform';
import { OutboxWriter } from '@tpo/messaging';
import { JobContext, JobOutcome } from '@tpo/jobs';
import pino from 'pino';
import { TenantRecord, TenantRepository } from '../tenants/tenant.repository';
import { OperationKindHandler, OperationStep } from './kinds/operation-kind';
import { OperationKinds } from './kinds/operation-kinds';
import { OperationJob, OperationJobPayload } from './operation.job';
import { OperationRecord, OperationRepository, OperationStepRecord } from './operation.repository';

function harness(steps: OperationStep[], done: Partial<OperationStepRecord>[] = [], handsOff = false) {
  const log: string[] = [];
  const op = { id: 'op-1', tenantId: 't-1', kind: 'suspend', state: 'running', requestId: null } as OperationRecord;
  const operations = {
    findById: async () => op,
    steps: async () => done as OperationStepRecord[],
    stepStarted: async (_: string, s: string) => void log.push(`start:${s}`),
    mergeStepDetail: async (_: string, s: string, p: object) => void log.push(`detail:${s}:${JSON.stringify(p)}`),
    stepEnded: async (_: string, s: string, status: string) => void log.push(`${status}:${s}`),
    stepFailed: async (_: string, s: string, e: { code: string }) => void log.push(`failed:${s}:${e.code}`),
    fail: async (_: string, e: { code: string }) => void log.push(`op-failed:${e.code}`),
    succeed: async () => void log.push('op-succeeded'),
  } as unknown as OperationRepository;
  const tenants = {
    findById: async () => ({ id: 't-1', siteId: 'site-1' }) as TenantRecord,
  } as unknown as TenantRepository;
  const handler: OperationKindHandler = {
    kind: 'suspend',
    steps,
    handsOff,
    complete: async () => (log.push('complete'), {}),
  };
  const kinds = { get: () => handler } as unknown as OperationKinds;
  const outbox = { emit: async (d: { name: string }) => (log.push(`emit:${d.name}`), {}) } as unknown as OutboxWriter;
  const job = new OperationJob(operations, tenants, kinds, outbox, pino({ level: 'silent' }));
  const settled = { settled: true } as JobOutcome;
  const ctx = {
    job: { payload: { operationId: 'op-1', tenantId: 't-1' } },
    signal: new AbortController().signal,
    record: async (w: () => Promise<void>) => w(),
    succeed: async (w?: () => Promise<void>) => (await w?.(), log.push('job-succeeded'), settled),
    fail: async (_: string, w?: () => Promise<void>) => (await w?.(), log.push('job-failed'), settled),
  } as unknown as JobContext<OperationJobPayload>;
  return { log, run: () => job.run(ctx) };
}

const step = (name: string, run: OperationStep['run'] = async () => ({})): OperationStep => ({ name, run });

describe('OperationJob (issue 10)', () => {
  it("runs the steps in order and ends the operation with its kind in the job's success", async () => {
    const { log, run } = harness([step('a'), step('b', async () => ({ skipped: true }))]);
    await run();
    expect(log).toEqual([
      'start:a',
      'succeeded:a',
      'start:b',
      'skipped:b',
      'complete',
      'op-succeeded',
      'job-succeeded',
    ]);
  });

  it('on a resume skips the steps already done and hands a running step its recorded progress', async () => {
    let seen: Record<string, unknown> = {};
    const { log, run } = harness(
      [
        step('a', async () => {
          throw new Error('must not run again');
        }),
        step('b', async (ctx) => ((seen = { ...ctx.detail }), {})),
      ],
      [
        { step: 'a', status: 'succeeded', detail: {} },
        { step: 'b', status: 'running', detail: { taskId: 'task-7' } },
      ],
    );
    await run();
    expect(seen).toEqual({ taskId: 'task-7' });
    expect(log).toEqual(['start:b', 'succeeded:b', 'complete', 'op-succeeded', 'job-succeeded']);
  });

  it('a permanent failure fails the operation at that step (TenantOperationFailed); later steps do not run', async () => {
    const { log, run } = harness([
      step('a', async () => {
        throw new DomainError('IS_TENANT_MISSING', 'gone');
      }),
      step('b'),
    ]);
    await run();
    expect(log).toEqual([
      'start:a',
      'failed:a:IS_TENANT_MISSING',
      'op-failed:IS_TENANT_MISSING',
      'emit:TenantOperationFailed',
      'job-failed',
    ]);
  });

  it('a transient failure goes back to the job runner (retried later), nothing ended', async () => {
    const { log, run } = harness([
      step('a', async () => {
        throw new DomainError('OPERATION_IN_DOUBT', 'wait', { retryable: true });
      }),
    ]);
    await expect(run()).rejects.toMatchObject({ code: 'OPERATION_IN_DOUBT', retryable: true });
    expect(log).toEqual(['start:a']);
  });

  it('a kind that hands over to the step services ends the job, not the operation', async () => {
    const { log, run } = harness([step('request-install')], [], true);
    await run();
    expect(log).toEqual(['start:request-install', 'succeeded:request-install', 'job-succeeded']);
  });
});
