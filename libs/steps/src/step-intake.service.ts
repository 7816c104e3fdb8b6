import { Injectable } from '@nestjs/common';
import { OnboardingRetryRequestedV1, OnboardingStep } from '@tpo/contracts';
import { JobEnqueuer, JobRepository } from '@tpo/jobs';
import { currentRunId, StepWorkRepository } from './step-work.repository';

/** A step's job: keyed by tenant for the onboarding, by tenant and operation for a later operation's run. */
function jobOf(tenantId: string): { key: string; payload: { tenantId: string; operationId?: string } } {
  const run = currentRunId();
  return run
    ? { key: `${tenantId}:${run}`, payload: { tenantId, operationId: run } }
    : { key: tenantId, payload: { tenantId } };
}

/**
 * Starts a step from its triggering event, and re-opens it on an admin retry. Runs in the inbox
 * transaction; a new job goes straight to this replica's runner when it has a slot (JobEnqueuer).
 */
@Injectable()
export class StepIntake {
  constructor(
    private readonly steps: StepWorkRepository,
    private readonly jobs: JobRepository,
    private readonly enqueuer: JobEnqueuer,
  ) {}

  async start(
    step: OnboardingStep,
    tenantId: string,
    siteId: string,
    input: object,
    vms: { biosUuid: string; name: string }[] = [],
  ): Promise<void> {
    const job = jobOf(tenantId);
    if (await this.steps.create(tenantId, step, siteId, input, vms))
      await this.enqueuer.enqueue(step, job.key, job.payload, siteId);
  }

  /** Only for this service's step, only when it failed; failed VMs are retried, succeeded ones kept. */
  async retry(request: OnboardingRetryRequestedV1, ownStep: OnboardingStep): Promise<void> {
    if (request.step !== ownStep) return;
    if (!(await this.steps.reopen(request.tenantId, ownStep, request.attempt))) return;
    const job = jobOf(request.tenantId);
    if (!(await this.jobs.reopen(ownStep, job.key))) {
      const work = await this.steps.find(request.tenantId, ownStep);
      await this.enqueuer.enqueue(ownStep, job.key, job.payload, work?.siteId);
    }
  }
}
