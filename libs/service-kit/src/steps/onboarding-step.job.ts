import { EventDefinition, OnboardingStep, OnboardingStepFailed } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { DomainError } from '@tpo/platform';
import type { Logger } from 'pino';
import { JobContext, JobHandler, JobOutcome } from '../jobs/job-runner';
import { StepWork, StepWorkRepository } from './step-work.repository';

export type StepResult<T extends object = object> =
  | { ok: true; output: object; event: { definition: EventDefinition<T>; payload: T } }
  | { ok: false; code: string; message: string; retryable: boolean; output?: object; alsoEmit?: { definition: EventDefinition<object>; payload: object }[] };

export interface OnboardingStepDeps {
  steps: StepWorkRepository;
  outbox: OutboxWriter;
  logger: Logger;
}

/**
 * One onboarding step of a downstream service as a durable job: the step's stored input is
 * executed (external calls, polling) outside any message's ack window; then the step record, the
 * success (or OnboardingStepFailed) event and the job's end commit together. `execute` must be
 * idempotent: after a crash it runs again and must look up what it already did.
 */
export abstract class OnboardingStepJob<I> implements JobHandler<{ tenantId: string }> {
  abstract readonly step: OnboardingStep;

  constructor(protected readonly base: OnboardingStepDeps) {}

  get kind(): string {
    return this.step;
  }

  protected abstract execute(work: StepWork<I>, signal: AbortSignal): Promise<StepResult>;

  async run(ctx: JobContext<{ tenantId: string }>): Promise<JobOutcome> {
    const work = await this.base.steps.find<I, Record<string, unknown>>(ctx.job.payload.tenantId, this.step);
    if (!work || work.status === 'succeeded' || work.status === 'failed') return ctx.succeed();
    if (work.status === 'pending') await this.base.steps.setRunning(work.tenantId, this.step);
    const result = await this.execute(work, ctx.signal);
    if (result.ok) {
      return ctx.succeed(async () => {
        await this.base.steps.succeed(work.tenantId, this.step, result.output);
        await this.base.outbox.emit(result.event.definition, result.event.payload, { tenantId: work.tenantId });
        this.base.logger.info({ tenantId: work.tenantId, step: this.step }, 'step completed');
      });
    }
    return this.failStep(ctx, work, result);
  }

  async giveUp(ctx: JobContext<{ tenantId: string }>, error: unknown): Promise<JobOutcome> {
    const work = await this.base.steps.find<I, Record<string, unknown>>(ctx.job.payload.tenantId, this.step);
    if (!work) return ctx.fail('step record missing');
    const code = error instanceof DomainError ? error.code : 'STEP_UNAVAILABLE';
    return this.failStep(ctx, work, { ok: false, code, message: error instanceof Error ? error.message : String(error), retryable: true });
  }

  private failStep(ctx: JobContext<{ tenantId: string }>, work: StepWork<I>, result: Extract<StepResult, { ok: false }>): Promise<JobOutcome> {
    return ctx.fail(`${result.code}: ${result.message}`, async () => {
      await this.base.steps.fail(work.tenantId, this.step, result, result.output);
      for (const extra of result.alsoEmit ?? []) await this.base.outbox.emit(extra.definition, extra.payload, { tenantId: work.tenantId });
      await this.base.outbox.emit(
        OnboardingStepFailed,
        { tenantId: work.tenantId, siteId: work.siteId, step: this.step, code: result.code, message: result.message.slice(0, 2000), retryable: result.retryable, attempt: work.attempt },
        { tenantId: work.tenantId },
      );
      this.base.logger.warn({ tenantId: work.tenantId, step: this.step, code: result.code }, 'step failed');
    });
  }
}
