import { OnboardingRetryRequestedV1, OnboardingStep } from '@tpo/contracts';
import { JobEnqueuer, JobRepository } from '@tpo/jobs';
import { InboxClaim } from '@tpo/messaging';
import { ChainLink } from '@tpo/persistence';
import { RequestContext } from '@tpo/platform';
import { StepIntake } from './step-intake.service';
import { StepWorkRepository } from './step-work.repository';

const STEP = 'configure-svm' as OnboardingStep;

function setup(options: { written?: Record<string, number>; fails?: boolean; jobReopened?: boolean } = {}) {
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
        chain: { then: (gate: string) => ChainLink[] },
      ) => {
        expect(chain.then('work')).toEqual([jobLink]);
        if (options.fails) throw new Error('statement failed');
        return options.written ?? { inbox: 1, work: 1, vms: 1, job: 1 };
      },
    ),
    reopen: jest.fn(async () => true),
    find: jest.fn(async () => ({ siteId: 'site-a' })),
  } as unknown as StepWorkRepository;
  const jobs = { reopen: jest.fn(async () => (options.jobReopened ? {} : undefined)) } as unknown as JobRepository;
  const enqueuer = {
    prepare: jest.fn(() => ({ link: () => jobLink, settle: (n: number) => void settled.push(n) })),
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
