import { Inject, Injectable } from '@nestjs/common';
import { TenantOperationFailed } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { DomainError, LOGGER, redactSecretsInText } from '@tpo/platform';
import { JobContext, JobHandler, JobOutcome, LeaseLostError } from '@tpo/jobs';
import { classifyVendorError } from '@tpo/vendor-failures';
import type { Logger } from 'pino';
import { TenantRepository } from '../tenants/tenant.repository';
import { OperationKinds } from './kinds/operation-kinds';
import { OperationRecord, OperationRepository } from './operation.repository';

export const OPERATION_JOB = 'tenant-operation';
export type OperationJobPayload = { operationId: string; tenantId: string };

/**
 * Runs one lifecycle operation as a durable job keyed by the operation id: its kind's steps in
 * order, each recorded (started, progress, ended) under the job's lease, steps already done
 * skipped on a resume. The operation's end — its state, the tenant's lifecycle, the outcome event —
 * commits with the job's success in one transaction. Vendor errors go through the shared
 * classifier: transient ones back off and resume; permanent ones fail the operation at that step.
 */
@Injectable()
export class OperationJob implements JobHandler<OperationJobPayload> {
  readonly kind = OPERATION_JOB;

  constructor(
    private readonly operations: OperationRepository,
    private readonly tenants: TenantRepository,
    private readonly kinds: OperationKinds,
    private readonly outbox: OutboxWriter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(ctx: JobContext<OperationJobPayload>): Promise<JobOutcome> {
    const op = await this.operations.findById(ctx.job.payload.operationId);
    if (!op || op.state !== 'running') return ctx.succeed();
    const handler = this.kinds.get(op.kind);
    const tenant = await this.tenants.findById(op.tenantId);
    if (!handler || !tenant)
      return this.failOp(ctx, op, 'operation', {
        code: 'OPERATION_UNSUPPORTED',
        message: `no handler for ${op.kind}`,
        retryable: false,
      });
    const done = await this.operations.steps(op.id);
    for (const [seq, step] of handler.steps.entries()) {
      const rec = done.find((s) => s.step === step.name);
      if (rec && (rec.status === 'succeeded' || rec.status === 'skipped')) continue;
      await ctx.record(() => this.operations.stepStarted(op.id, step.name, seq));
      const detail = rec && rec.status !== 'failed' ? rec.detail : {};
      try {
        const out = await step.run({
          op,
          tenant,
          detail,
          signal: ctx.signal,
          record: async (patch) => {
            Object.assign(detail, patch);
            await ctx.record(() => this.operations.mergeStepDetail(op.id, step.name, patch));
          },
          write: (work) => ctx.record(work),
        });
        if (out.waiting) {
          this.logger.info(
            { tenantId: op.tenantId, operationId: op.id, kind: op.kind, step: step.name },
            'operation step waits for another service',
          );
          return ctx.succeed();
        }
        await ctx.record(() =>
          this.operations.stepEnded(op.id, step.name, out.skipped ? 'skipped' : 'succeeded', out.detail),
        );
        this.logger.info(
          { tenantId: op.tenantId, operationId: op.id, kind: op.kind, step: step.name, skipped: !!out.skipped },
          'operation step done',
        );
      } catch (e) {
        if (ctx.signal.aborted || e instanceof LeaseLostError) throw e;
        const c = classifyVendorError(e);
        if (c.kind === 'transient') throw new DomainError(c.code, c.message, { retryable: true });
        return this.failOp(ctx, op, step.name, { code: c.code, message: c.message, retryable: true });
      }
    }
    if (handler.handsOff) {
      this.logger.info(
        { tenantId: op.tenantId, operationId: op.id, kind: op.kind },
        'operation handed over to the step services',
      );
      return ctx.succeed();
    }
    return ctx.succeed(async () => {
      const fresh = (await this.tenants.findById(op.tenantId, true))!;
      const result = await handler.complete(op, fresh, await this.operations.steps(op.id));
      await this.operations.succeed(op.id, result);
      this.logger.info({ tenantId: op.tenantId, operationId: op.id, kind: op.kind }, 'operation completed');
    });
  }

  async giveUp(ctx: JobContext<OperationJobPayload>, error: unknown): Promise<JobOutcome> {
    const op = await this.operations.findById(ctx.job.payload.operationId);
    if (!op) return ctx.fail('operation vanished');
    const running = (await this.operations.steps(op.id)).find((s) => s.status === 'running');
    const c = classifyVendorError(error);
    return this.failOp(ctx, op, running?.step ?? 'operation', { code: c.code, message: c.message, retryable: true });
  }

  private failOp(
    ctx: JobContext<OperationJobPayload>,
    op: OperationRecord,
    step: string,
    f: { code: string; message: string; retryable: boolean },
  ): Promise<JobOutcome> {
    const message = redactSecretsInText(f.message, [], 2000);
    return ctx.fail(`${f.code}: ${message}`, async () => {
      await this.operations.stepFailed(op.id, step, { code: f.code, message });
      await this.operations.fail(op.id, { code: f.code, message, retryable: f.retryable });
      const tenant = await this.tenants.findById(op.tenantId);
      await this.outbox.emit(
        TenantOperationFailed,
        {
          tenantId: op.tenantId,
          siteId: tenant?.siteId ?? 'unknown',
          operationId: op.id,
          requestId: op.requestId ?? undefined,
          kind: op.kind,
          step,
          code: f.code,
          message,
          retryable: f.retryable,
        },
        { tenantId: op.tenantId },
      );
      this.logger.warn(
        { tenantId: op.tenantId, operationId: op.id, kind: op.kind, step, code: f.code },
        'operation failed',
      );
    });
  }
}
