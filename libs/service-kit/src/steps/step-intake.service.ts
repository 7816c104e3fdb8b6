import { Injectable } from '@nestjs/common';
import { OnboardingRetryRequestedV1, OnboardingStep } from '@tpo/contracts';
import { JobRepository } from '../jobs/job.repository';
import { StepWorkRepository } from './step-work.repository';

/** Starts a step from its triggering event, and re-opens it on an admin retry. Runs in the inbox transaction. */
@Injectable()
export class StepIntake {
  constructor(
    private readonly steps: StepWorkRepository,
    private readonly jobs: JobRepository,
  ) {}

  async start(step: OnboardingStep, tenantId: string, siteId: string, input: object, vms: { biosUuid: string; name: string }[] = []): Promise<void> {
    if (await this.steps.create(tenantId, step, siteId, input, vms)) await this.jobs.enqueue(step, tenantId, { tenantId }, siteId);
  }

  /** Only for this service's step, only when it failed; failed VMs are retried, succeeded ones kept. */
  async retry(request: OnboardingRetryRequestedV1, ownStep: OnboardingStep): Promise<void> {
    if (request.step !== ownStep) return;
    if (!(await this.steps.reopen(request.tenantId, ownStep, request.attempt))) return;
    if (!(await this.jobs.reopen(ownStep, request.tenantId))) {
      const work = await this.steps.find(request.tenantId, ownStep);
      await this.jobs.enqueue(ownStep, request.tenantId, { tenantId: request.tenantId }, work?.siteId);
    }
  }
}
