import { Inject, Injectable } from '@nestjs/common';
import {
  AgentsInstalledV1,
  AgentsReleasedV1,
  OnboardingStepFailedV1,
  TenantActivatedV1,
  TenantOperationFailed,
  VmsRegisteredV1,
} from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { DomainError, LOGGER } from '@tpo/platform';
import { JobRepository } from '@tpo/jobs';
import type { Logger } from 'pino';
import { TenantRepository } from '../../tenants/tenant.repository';
import { ADD_VMS_PIPELINE } from '../kinds/add-vms.kind';
import { OperationKinds } from '../kinds/operation-kinds';
import { OPERATION_JOB } from '../operation.job';
import { OperationRecord, OperationRepository } from '../operation.repository';

/**
 * The step services' events of an operation's run (their envelope carries the operation id):
 * recorded as the operation's steps; the pipeline's last event ends the operation, a step failure
 * fails it. Runs in the event's inbox transaction; events of other or finished operations are ignored.
 */
@Injectable()
export class OperationProgressUseCase {
  constructor(
    private readonly operations: OperationRepository,
    private readonly tenants: TenantRepository,
    private readonly kinds: OperationKinds,
    private readonly outbox: OutboxWriter,
    private readonly jobs: JobRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async agentsInstalled(operationId: string, e: AgentsInstalledV1): Promise<void> {
    await this.stepDone(operationId, 'install-agents', { installed: e.succeeded, failed: e.failed });
  }

  async vmsRegistered(operationId: string, e: VmsRegisteredV1): Promise<void> {
    await this.stepDone(operationId, 'register-vms', { registered: e.succeeded, failed: e.failed });
  }

  async tenantActivated(operationId: string, e: TenantActivatedV1): Promise<void> {
    const op = await this.stepDone(operationId, 'activate', { activeVms: e.activeVms });
    if (!op) return;
    const handler = this.kinds.get(op.kind);
    const tenant = await this.tenants.findById(op.tenantId, true);
    if (!handler || !tenant) return;
    const result = await handler.complete(op, tenant, await this.operations.steps(op.id));
    await this.operations.succeed(op.id, result);
    this.logger.info({ tenantId: op.tenantId, operationId: op.id, kind: op.kind }, 'operation completed');
  }

  /** The agents are off: the waiting step ends and the operation's job runs its next steps. */
  async agentsReleased(operationId: string, e: AgentsReleasedV1): Promise<void> {
    const op = await this.running(operationId);
    if (!op) return;
    const step = (await this.operations.steps(op.id)).find((s) => s.step === 'release-agents');
    if (!step || step.status !== 'running') return; // already recorded (a redelivery)
    await this.operations.stepEnded(op.id, 'release-agents', 'succeeded', { released: e.succeeded, failed: e.failed });
    // The job that asked may still be committing its hand-over: then try again shortly (the event is redelivered).
    if (!(await this.jobs.requeue(OPERATION_JOB, op.id)))
      throw new DomainError('OPERATION_JOB_BUSY', `operation ${op.id} is still handing over; retrying`, {
        retryable: true,
      });
  }

  async stepFailed(operationId: string, e: OnboardingStepFailedV1): Promise<void> {
    const op = await this.running(operationId);
    if (!op) return;
    const current = (await this.operations.steps(op.id)).find((s) => s.step === e.step);
    if (current && current.attempt > e.attempt) return; // a failure of an attempt already retried
    await this.operations.stepStarted(op.id, e.step, seqOf(e.step));
    await this.operations.stepFailed(op.id, e.step, { code: e.code, message: e.message });
    await this.operations.fail(op.id, { code: e.code, message: e.message, retryable: e.retryable });
    await this.outbox.emit(
      TenantOperationFailed,
      {
        tenantId: op.tenantId,
        siteId: e.siteId ?? (await this.tenants.findById(op.tenantId))?.siteId ?? 'unknown',
        operationId: op.id,
        requestId: op.requestId ?? undefined,
        kind: op.kind,
        step: e.step,
        code: e.code,
        message: e.message,
        retryable: e.retryable,
      },
      { tenantId: op.tenantId },
    );
    this.logger.warn(
      { tenantId: op.tenantId, operationId: op.id, step: e.step, code: e.code },
      'operation failed at a step service',
    );
  }

  private async running(operationId: string): Promise<OperationRecord | undefined> {
    const op = await this.operations.findById(operationId, true);
    if (!op || op.state !== 'running') {
      this.logger.warn({ operationId }, 'step event of an unknown or finished operation; ignored');
      return undefined;
    }
    return op;
  }

  private async stepDone(
    operationId: string,
    step: string,
    detail: Record<string, unknown>,
  ): Promise<OperationRecord | undefined> {
    const op = await this.running(operationId);
    if (!op) return undefined;
    await this.operations.stepStarted(op.id, step, seqOf(step));
    await this.operations.stepEnded(op.id, step, 'succeeded', detail);
    return op;
  }
}

/** Pipeline steps come after the operation's own steps (seq 0..). */
function seqOf(step: string): number {
  return 10 + ADD_VMS_PIPELINE.indexOf(step as (typeof ADD_VMS_PIPELINE)[number]);
}
