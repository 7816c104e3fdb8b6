import { OnboardingRetryRequestedV1, OnboardingStep } from '@tpo/contracts';
import { Job, JobEnqueuer, JobRepository, newClaimedJob } from '@tpo/jobs';
import { InboxClaim } from '@tpo/messaging';
import { ChainLink } from '@tpo/persistence';
import { RequestContext } from '@tpo/platform';
import { StepIntake } from './step-intake.service';
import { StepWorkRepository } from './step-work.repository';

const STEP = 'configure-svm' as OnboardingStep;

function setup(
  options: { written?: Record<string, number>; fails?: boolean; jobReopened?: boolean; claimed?: Job } = {},
) {
  const settled: number[] = [];
  const jobLink: ChainLink = { name: 'job', text: () => 'job link' };
  const steps = {
    createChained: jest.fn(
      async (
        _t: string,
        _s: OnboardingStep,
        _site: string,
        _i: object,
        _v: unknown[],
        chain: { then: (gate: string) => ChainLink[]; running?: boolean },
      ) => {
        expect(chain.then('work')).toEqual([jobLink]);
        expect(chain.running).toBe(options.claimed !== undefined);
        if (options.fails) throw new Error('statement failed');
        return options.written ?? { inbox: 1, work: 1, vms: 1, job: 1 };
      },
    ),
    reopen: jest.fn(async () => true),
    find: jest.fn(async () => ({ siteId: 'site-a' })),
  } as unknown as StepWorkRepository;
  const jobs = { reopen: jest.fn(async () => (options.jobReopened ? {} : undefined)) } as unknown as JobRepository;
  const enqueuer = {
    prepare: jest.fn(() => ({
      link: () => jobLink,
      settle: (n: number) => void settled.push(n),
      claimed: options.claimed,
    })),
    enqueue: jest.fn(async () => true),
  } as unknown as JobEnqueuer;
  return { intake: new StepIntake(steps, jobs, enqueuer), enqueuer, jobs, settled };
}

describe('StepIntake', () => {
  it("a new step's job is prepared by the enqueuer (claimed by this replica's runner when it has a slot) and settled with its row count", async () => {
    const { intake, enqueuer, settled } = setup();
    const inbox = new InboxClaim('c', 'e', 't');
    await intake.start(STEP, 't1', 'site-a', { any: 1 }, [{ biosUuid: 'b', name: 'vm' }], inbox);
    expect(enqueuer.prepare).toHaveBeenCalledWith(STEP, 't1', { tenantId: 't1' }, 'site-a');
    expect(settled).toEqual([1]);
    expect(inbox.settled).toBe(true);
  });

  it('a job inserted claimed gets the step as recorded, already running, so it skips its start statement', async () => {
    const claimed = newClaimedJob(STEP, 't1', { tenantId: 't1' }, 'site-a');
    const { intake, settled } = setup({ claimed, written: { inbox: 1, work: 1, vms: 2, job: 1 } });
    const input = { tenantId: 't1', nested: { n: 1 } };
    await intake.start(
      STEP,
      't1',
      'site-a',
      input,
      [
        { biosUuid: 'b2', name: 'vm-b' },
        { biosUuid: 'b1', name: 'vm-a' },
      ],
      new InboxClaim('c', 'e', 't'),
    );
    expect(settled).toEqual([1]);
    expect(claimed.handedState).toMatchObject({
      tenantId: 't1',
      runId: '',
      step: STEP,
      siteId: 'site-a',
      status: 'running',
      attempt: 1,
      input,
      output: null,
      errorCode: null,
      vms: [
        { biosUuid: 'b1', name: 'vm-a', status: 'pending', detail: null, errorCode: null, errorMessage: null },
        { biosUuid: 'b2', name: 'vm-b', status: 'pending', detail: null, errorCode: null, errorMessage: null },
      ],
    });
    // A copy: the job does not share the event's object.
    expect((claimed.handedState as { input: object }).input).not.toBe(input);
  });

  it('no step is handed over when the statement did not write every row (a duplicate VM, a job already there, a redelivery)', async () => {
    const vms = [
      { biosUuid: 'b1', name: 'vm-a' },
      { biosUuid: 'b1', name: 'vm-a' },
    ];
    for (const written of [
      { inbox: 1, work: 1, vms: 1, job: 1 },
      { inbox: 1, work: 1, vms: 2, job: 0 },
      { inbox: 0, work: 0, vms: 0, job: 0 },
    ]) {
      const claimed = newClaimedJob(STEP, 't1', { tenantId: 't1' }, 'site-a');
      const { intake } = setup({ claimed, written });
      await intake.start(STEP, 't1', 'site-a', {}, vms);
      expect(claimed.handedState).toBeUndefined();
    }
  });

  it('a job enqueued pending (no slot here) leaves the step pending for its start', async () => {
    const { intake, settled } = setup();
    await intake.start(STEP, 't1', 'site-a', {}, []);
    expect(settled).toEqual([1]);
  });

  it("an operation's run is keyed by tenant and operation", async () => {
    const { intake, enqueuer } = setup();
    await RequestContext.run({ correlationId: 'c', operationId: 'op-1' }, () => intake.start(STEP, 't1', 'site-a', {}));
    expect(enqueuer.prepare).toHaveBeenCalledWith(STEP, 't1:op-1', { tenantId: 't1', operationId: 'op-1' }, 'site-a');
  });

  it('a redelivered event (nothing written) and a failed statement settle the job with 0 rows', async () => {
    const duplicate = setup({ written: { inbox: 0, work: 0, vms: 0, job: 0 } });
    await duplicate.intake.start(STEP, 't1', 'site-a', {});
    expect(duplicate.settled).toEqual([0]);
    const failing = setup({ fails: true });
    await expect(failing.intake.start(STEP, 't1', 'site-a', {})).rejects.toThrow('statement failed');
    expect(failing.settled).toEqual([0]);
  });

  it('a retry re-opens the failed job (pending); only a missing job is enqueued anew', async () => {
    const retry = { tenantId: 't1', step: STEP, attempt: 2 } as OnboardingRetryRequestedV1;
    const reopened = setup({ jobReopened: true });
    await reopened.intake.retry(retry, STEP);
    expect(reopened.jobs.reopen).toHaveBeenCalledWith(STEP, 't1');
    expect(reopened.enqueuer.enqueue).not.toHaveBeenCalled();
    const missing = setup({ jobReopened: false });
    await missing.intake.retry(retry, STEP);
    expect(missing.enqueuer.enqueue).toHaveBeenCalledWith(STEP, 't1', { tenantId: 't1' }, 'site-a');
  });
});
