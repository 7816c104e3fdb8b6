import { OnboardingRetryRequestedV1, OnboardingStep } from '@tpo/contracts';
import { JobEnqueuer, JobRepository } from '@tpo/jobs';
import { RequestContext } from '@tpo/platform';
import { StepIntake } from './step-intake.service';
import { StepWorkRepository } from './step-work.repository';

const STEP = 'configure-svm' as OnboardingStep;

function setup(options: { created?: boolean; reopened?: boolean; jobReopened?: boolean } = {}) {
  const steps = {
    create: jest.fn(async () => options.created ?? true),
    reopen: jest.fn(async () => options.reopened ?? true),
    find: jest.fn(async () => ({ siteId: 'site-a' })),
  } as unknown as StepWorkRepository;
  const jobs = { reopen: jest.fn(async () => (options.jobReopened ? {} : undefined)) } as unknown as JobRepository;
  const enqueuer = { enqueue: jest.fn(async () => true) } as unknown as JobEnqueuer;
  return { intake: new StepIntake(steps, jobs, enqueuer), steps, jobs, enqueuer };
}

describe('StepIntake', () => {
  it("a new step's job goes through the enqueuer (to this replica's runner when it has a slot)", async () => {
    const { intake, enqueuer } = setup();
    await intake.start(STEP, 't1', 'site-a', { any: 1 }, [{ biosUuid: 'b', name: 'vm' }]);
    expect(enqueuer.enqueue).toHaveBeenCalledWith(STEP, 't1', { tenantId: 't1' }, 'site-a');
  });

  it("an operation's run is keyed by tenant and operation", async () => {
    const { intake, enqueuer } = setup();
    await RequestContext.run({ correlationId: 'c', operationId: 'op-1' }, () => intake.start(STEP, 't1', 'site-a', {}));
    expect(enqueuer.enqueue).toHaveBeenCalledWith(STEP, 't1:op-1', { tenantId: 't1', operationId: 'op-1' }, 'site-a');
  });

  it('a step already recorded (a re-published event) enqueues nothing', async () => {
    const { intake, enqueuer } = setup({ created: false });
    await intake.start(STEP, 't1', 'site-a', {});
    expect(enqueuer.enqueue).not.toHaveBeenCalled();
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
