import { Injectable } from '@nestjs/common';
import { OnboardingRetryRequestedV1, OnboardingStep } from '@tpo/contracts';
import { JobEnqueuer, JobRepository } from '@tpo/jobs';
import { InboxClaim, InboxRepository } from '@tpo/messaging';
import { currentRunId, recordedStepWork, StepWorkRepository } from './step-work.repository';

/** A step's job: keyed by tenant for the onboarding, by tenant and operation for a later operation's run. */
function jobOf(tenantId: string): { key: string; payload: { tenantId: string; operationId?: string } } {
  const run = currentRunId();
  return run
    ? { key: `${tenantId}:${run}`, payload: { tenantId, operationId: run } }
    : { key: tenantId, payload: { tenantId } };
}

/**
 * Starts a step from its triggering event, and re-opens it on an admin retry. `start` writes the
 * step record, its VMs and its job in one statement; given the event's inbox claim (a handler
 * declared `claimsInbox`), the inbox row too, gating the rest, so the whole intake of an event is
 * one statement without a transaction of its own. Without one, it runs in the processor's inbox
 * transaction. `retry` runs in the inbox transaction. A new job goes straight to this replica's
 * runner when it has a slot (JobEnqueuer: inserted claimed, handed over after the commit); the step
 * is then recorded running and handed to the job with it (OnboardingStepJob skips its start).
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
    inbox?: InboxClaim,
  ): Promise<void> {
    const job = jobOf(tenantId);
    const prepared = this.enqueuer.prepare(step, job.key, job.payload, siteId);
    // A job inserted claimed starts at once here: the step is recorded running, and the job gets it
    // as recorded, without its start statement (a round trip and a commit per step).
    const running = prepared.claimed !== undefined;
    let written: Record<string, number> = {};
    try {
      written = await this.steps.createChained(tenantId, step, siteId, input, vms, {
        gate: inbox ? InboxRepository.claimLink(inbox) : undefined,
        then: (work) => [prepared.link(work)],
        running,
      });
      // Only when every VM row is the one just written (not when duplicates in the list were dropped).
      if (prepared.claimed && written.work === 1 && written.job === 1 && written.vms === vms.length)
        prepared.claimed.handedState = recordedStepWork(tenantId, step, siteId, input, vms);
    } finally {
      prepared.settle(written.job ?? 0);
    }
    inbox?.settle(written.inbox === 1);
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
