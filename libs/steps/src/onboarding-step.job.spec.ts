import { OnboardingStep, SvmConfigured } from '@tpo/contracts';
import { JobContext, newClaimedJob } from '@tpo/jobs';
import { OutboxWriter } from '@tpo/messaging';
import { createLogger } from '@tpo/platform';
import { OnboardingStepJob, StepResult, StepStore } from './onboarding-step.job';
import { recordedStepWork, StepWork } from './step-work.repository';

const STEP = 'configure-svm' as OnboardingStep;

class ProbeJob extends OnboardingStepJob<{ n: number }, StepStore<{ n: number }>> {
  readonly step = STEP;
  readonly executed: StepWork<{ n: number }>[] = [];
  protected async execute(work: StepWork<{ n: number }>): Promise<StepResult> {
    this.executed.push(work);
    return { ok: true, output: {}, event: { definition: SvmConfigured, payload: {} as never } };
  }
}

function setup() {
  const stored = recordedStepWork('t1', STEP, 'site-a', { n: 1 }, []);
  const store = {
    find: jest.fn(async () => stored),
    setRunning: jest.fn(async () => undefined),
    start: jest.fn(async () => ({ ...stored, input: { n: 2 } })),
    succeed: jest.fn(async () => undefined),
    fail: jest.fn(async () => undefined),
    succeedStatement: jest.fn(() => ({ text: () => 'end', params: [] })),
  } as unknown as StepStore<{ n: number }> & { start: jest.Mock };
  const outbox = { emitStatement: jest.fn(() => ({ text: () => 'emit', params: [] })) } as unknown as OutboxWriter;
  const job = new ProbeJob({ steps: store, outbox, logger: createLogger('step-job-spec', 'silent') });
  const claimed = newClaimedJob(STEP, 't1', { tenantId: 't1' }, 'site-a');
  const ctx = {
    job: claimed,
    signal: new AbortController().signal,
    succeedWith: jest.fn(async () => ({ settled: true })),
  } as unknown as JobContext<{ tenantId: string }>;
  return { job, store, ctx, claimed };
}

describe('OnboardingStepJob', () => {
  it('runs the step handed over with its job (StepIntake) without its start statement, once', async () => {
    const { job, store, ctx, claimed } = setup();
    claimed.handedState = recordedStepWork('t1', STEP, 'site-a', { n: 1 }, []);
    await job.run(ctx);
    expect(store.start).not.toHaveBeenCalled();
    expect(job.executed.map((w) => w.input)).toEqual([{ n: 1 }]);
    expect(claimed.handedState).toBeUndefined();
    // The same job object run again (after a transient failure) reads the step as it then is.
    await job.run(ctx);
    expect(store.start).toHaveBeenCalledTimes(1);
    expect(job.executed.map((w) => w.input)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('starts the step by its statement when nothing was handed over (a claimed job)', async () => {
    const { job, store, ctx } = setup();
    await job.run(ctx);
    expect(store.start).toHaveBeenCalledWith('t1', STEP, expect.any(Function), { vms: false });
    expect(job.executed).toHaveLength(1);
  });
});
