import { EventDefinition, OnboardingStep, OnboardingStepFailed } from '@tpo/contracts';
import { Emission, OutboxWriter } from '@tpo/messaging';
import { DomainError, redactSecretsInText } from '@tpo/platform';
import type { Logger } from 'pino';
import {
  FencedReader,
  FencedStatement,
  FencedWriter,
  JobContext,
  JobHandler,
  JobOutcome,
  LeaseLostError,
} from '@tpo/jobs';
import { StepWork, StepWorkRepository } from './step-work.repository';

/** What a step's result may carry besides its outcome, whichever it is. */
interface StepWrites {
  /**
   * The step's own last writes (e.g. per-VM outcomes), committed with its end: in the same statement
   * where the store gives its end as statements, else written just before it (fenced by the job's
   * lease alike).
   */
  alsoWrite?: FencedStatement[];
}

export type StepResult<T extends object = object> =
  | (StepWrites & { ok: true; output: object; event: { definition: EventDefinition<T>; payload: T } })
  | (StepWrites & {
      ok: false;
      code: string;
      message: string;
      retryable: boolean;
      output?: object;
      alsoEmit?: { definition: EventDefinition<object>; payload: object }[];
      /** Vendor task ids to name in OnboardingStepFailed (e.g. the CreateTenant task that failed). */
      externalTaskIds?: string[];
    });

/**
 * What an error thrown by a step means: `transient` is retried with backoff by the job runner;
 * `permanent` ends the step at once as failed with `code`. Step services pass the shared vendor
 * classifier (`classifyVendorError` of @tpo/vendor-failures), which has exactly this shape.
 */
export interface ClassifiedFailure {
  readonly kind: 'transient' | 'permanent';
  readonly code: string;
  readonly message: string;
  readonly retryable?: boolean;
}
export type FailureClassifier = (error: unknown) => ClassifiedFailure;

/** Without a vendor classifier: coded non-retryable domain errors are permanent, the rest transient. */
export const classifyDomainError: FailureClassifier = (e) =>
  e instanceof DomainError
    ? { kind: e.retryable ? 'transient' : 'permanent', code: e.code, message: e.message, retryable: false }
    : { kind: 'transient', code: 'STEP_UNAVAILABLE', message: e instanceof Error ? e.message : String(e) };

/**
 * Where a step's record lives and what commits with its end. The downstream services keep theirs in
 * `step_work` (StepWorkRepository); tenant-service keeps step 1 on the tenant and its timeline and
 * adapts them to this shape. `succeed` and `fail` run inside the transaction that ends the job, with
 * the step's event.
 */
export interface StepStore<I> {
  find(tenantId: string, step: OnboardingStep): Promise<StepWork<I> | undefined>;
  /** Marks a pending step running, writing through `write` (the job's fenced single-statement writer). */
  setRunning(tenantId: string, step: OnboardingStep, write: FencedWriter): Promise<void>;
  /**
   * `find` and, for a pending step, `setRunning` in one statement, when the store can: through `read`
   * (the job's fenced reader), returning the step as it then is, with its VMs when `options.vms`.
   */
  start?(
    tenantId: string,
    step: OnboardingStep,
    read: FencedReader,
    options?: { vms?: boolean },
  ): Promise<StepWork<I> | undefined>;
  succeed(tenantId: string, step: OnboardingStep, output: object): Promise<void>;
  fail(
    tenantId: string,
    step: OnboardingStep,
    error: { code: string; message: string; retryable: boolean },
    output?: object,
  ): Promise<void>;
  /**
   * `succeed` and `fail` as guarded statements (one, or several writing different tables), when the
   * store can give them: the step's end, its event(s) and the job's end then commit as ONE
   * statement (JobContext.succeedWith / failWith).
   */
  succeedStatement?(tenantId: string, step: OnboardingStep, output: object): FencedStatement | FencedStatement[];
  failStatement?(
    tenantId: string,
    step: OnboardingStep,
    error: { code: string; message: string; retryable: boolean },
    output?: object,
  ): FencedStatement | FencedStatement[];
}

export interface OnboardingStepDeps<S = StepWorkRepository> {
  steps: S;
  outbox: OutboxWriter;
  logger: Logger;
  classify?: FailureClassifier;
}

/** What `execute` may do with the job besides returning: record progress while it holds the lease. */
export interface StepJobScope {
  /** Commits `work` only while this worker still holds the job (fencing token); see JobContext.record. */
  record(work: () => Promise<void>): Promise<void>;
  /** One statement written only while this worker still holds the job, in one round trip; see JobContext.write. */
  write: FencedWriter;
  /** As `write`, for a statement that also reads rows back; see JobContext.query. */
  query: FencedReader;
}

/**
 * One onboarding step of a downstream service as a durable job: the step's stored input is
 * executed (external calls, polling) outside any message's ack window; then the step record, the
 * success (or OnboardingStepFailed) event and the job's end commit together. `execute` must be
 * idempotent: after a crash it runs again and must look up what it already did. Errors it throws
 * are classified once, here: permanent vendor answers fail the step at once with the vendor's code,
 * transient ones go back to the job runner's backoff.
 */
export abstract class OnboardingStepJob<I, S extends StepStore<I> = StepWorkRepository> implements JobHandler<{
  tenantId: string;
}> {
  abstract readonly step: OnboardingStep;

  constructor(protected readonly base: OnboardingStepDeps<S>) {}

  get kind(): string {
    return this.step;
  }

  /** Whether `execute` reads the step's VMs: they then come with the step at the job's start (`work.vms`). */
  protected readonly startsWithVms: boolean = false;

  protected abstract execute(work: StepWork<I>, signal: AbortSignal, job: StepJobScope): Promise<StepResult>;

  /** Vendor task ids a give-up names in OnboardingStepFailed: a task may still run, a retry resumes it. */
  protected recordedTaskIds(_work: StepWork<I>): string[] | undefined {
    return undefined;
  }

  async run(ctx: JobContext<{ tenantId: string }>): Promise<JobOutcome> {
    const write: FencedWriter = (statement) => ctx.write(statement);
    const query: FencedReader = (q) => ctx.query(q);
    // A step recorded running by the statement that inserted this job claimed (StepIntake) comes with
    // it; taken once: a later run of the same job reads the step as it then is.
    const handed = ctx.job.handedState as StepWork<I> | undefined;
    ctx.job.handedState = undefined;
    const work = handed ?? (await this.start(ctx.job.payload.tenantId, write, query));
    if (!work || work.status === 'succeeded' || work.status === 'failed') return ctx.succeed();
    let result: StepResult;
    try {
      result = await this.execute(work, ctx.signal, { record: (w) => ctx.record(w), write, query });
    } catch (e) {
      if (ctx.signal.aborted || e instanceof LeaseLostError) throw e;
      const c = (this.base.classify ?? classifyDomainError)(e);
      // Transient: back to the runner's backoff, carrying only the classified (redacted) text.
      if (c.kind === 'transient') throw new DomainError(c.code, c.message, { retryable: true });
      result = { ok: false, code: c.code, message: c.message, retryable: c.retryable ?? false };
    }
    if (result.ok) {
      const ok = result;
      const steps = this.base.steps;
      if (steps.succeedStatement) {
        const outcome = await ctx.succeedWith([
          ...(ok.alsoWrite ?? []),
          ...[steps.succeedStatement(work.tenantId, this.step, ok.output)].flat(),
          this.base.outbox.emitStatement([
            { definition: ok.event.definition, data: ok.event.payload, options: { tenantId: work.tenantId } },
          ]),
        ]);
        this.base.logger.info({ tenantId: work.tenantId, step: this.step }, 'step completed');
        return outcome;
      }
      if (ok.alsoWrite?.length) await ctx.write(ok.alsoWrite);
      return ctx.succeed(async () => {
        await this.base.steps.succeed(work.tenantId, this.step, ok.output);
        await this.base.outbox.emit(ok.event.definition, ok.event.payload, { tenantId: work.tenantId });
        this.base.logger.info({ tenantId: work.tenantId, step: this.step }, 'step completed');
      });
    }
    return this.failStep(ctx, work, result);
  }

  /**
   * The step as the job starts it: a pending step is marked running (fenced by the job's lease), any
   * other is left as it is (running: a retry or a re-run after a crash; succeeded or failed: the job
   * only ends). One statement where the store can (`start`), else `find` then `setRunning`.
   */
  private async start(tenantId: string, write: FencedWriter, query: FencedReader): Promise<StepWork<I> | undefined> {
    const steps = this.base.steps;
    if (steps.start) return steps.start(tenantId, this.step, query, { vms: this.startsWithVms });
    const work = await steps.find(tenantId, this.step);
    if (work?.status === 'pending') await steps.setRunning(work.tenantId, this.step, write);
    return work;
  }

  async giveUp(ctx: JobContext<{ tenantId: string }>, error: unknown): Promise<JobOutcome> {
    const work = await this.base.steps.find(ctx.job.payload.tenantId, this.step);
    if (!work) return ctx.fail('step record missing');
    const code = error instanceof DomainError ? error.code : 'STEP_UNAVAILABLE';
    const retryable = error instanceof DomainError ? error.retryable : true;
    return this.failStep(ctx, work, {
      ok: false,
      code,
      message: error instanceof Error ? error.message : String(error),
      retryable,
      externalTaskIds: this.recordedTaskIds(work),
    });
  }

  private async failStep(
    ctx: JobContext<{ tenantId: string }>,
    work: StepWork<I>,
    failed: Extract<StepResult, { ok: false }>,
  ): Promise<JobOutcome> {
    const result = { ...failed, message: redactSecretsInText(failed.message, [], 2000) };
    const events: Emission[] = [
      ...(result.alsoEmit ?? []).map((extra) => ({
        definition: extra.definition,
        data: extra.payload,
        options: { tenantId: work.tenantId },
      })),
      {
        definition: OnboardingStepFailed,
        data: {
          tenantId: work.tenantId,
          siteId: work.siteId,
          step: this.step,
          code: result.code,
          message: result.message,
          retryable: result.retryable,
          attempt: work.attempt,
          externalTaskIds: result.externalTaskIds?.length ? result.externalTaskIds : undefined,
        },
        options: { tenantId: work.tenantId },
      },
    ];
    const error = `${result.code}: ${result.message}`;
    const logFailed = () =>
      this.base.logger.warn({ tenantId: work.tenantId, step: this.step, code: result.code }, 'step failed');
    const steps = this.base.steps;
    if (steps.failStatement) {
      const outcome = await ctx.failWith(error, [
        ...(result.alsoWrite ?? []),
        ...[steps.failStatement(work.tenantId, this.step, result, result.output)].flat(),
        this.base.outbox.emitStatement(events),
      ]);
      logFailed();
      return outcome;
    }
    if (result.alsoWrite?.length) await ctx.write(result.alsoWrite);
    return ctx.fail(error, async () => {
      await steps.fail(work.tenantId, this.step, result, result.output);
      for (const e of events) await this.base.outbox.emit(e.definition, e.data, e.options);
      logFailed();
    });
  }
}
