import { Injectable } from '@nestjs/common';
import { OnboardingRetryRequested, OnboardingStep } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { DomainError } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { JobRepository } from '@tpo/jobs';
import { TenantErrorCode } from '../../tenants/tenant-errors';
import { TenantRepository } from '../../tenants/tenant.repository';
import { ADD_VMS_PIPELINE } from '../kinds/add-vms.kind';
import { OPERATION_JOB } from '../operation.job';
import { OperationRecord, OperationRepository } from '../operation.repository';
import { inProgress } from '../operation-errors';

/**
 * Resumes a failed lifecycle operation at its failed step (steps already done are not repeated).
 * Onboarding has its own retry (POST /v1/tenants/:id/retry).
 */
@Injectable()
export class RetryOperationUseCase {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tenants: TenantRepository,
    private readonly operations: OperationRepository,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  execute(operationId: string): Promise<OperationRecord> {
    return this.uow.run(async () => {
      const op = await this.operations.findById(operationId, true);
      if (!op) throw new DomainError(TenantErrorCode.OperationNotFound, `operation ${operationId} not found`);
      const t = (await this.tenants.findById(op.tenantId, true))!;
      if (op.kind === 'onboard' || op.state !== 'failed') {
        throw new DomainError(
          TenantErrorCode.OperationNotFailed,
          `operation ${op.id} is ${op.kind === 'onboard' ? 'an onboarding (use POST /v1/tenants/:id/retry)' : op.state}`,
        );
      }
      if (!(await this.operations.reopen(op.id))) throw inProgress(t.id, (await this.operations.running(t.id))!);
      const failedStep = (await this.operations.steps(op.id)).find((s) => s.status === 'failed');
      const pipeline =
        failedStep && (ADD_VMS_PIPELINE as readonly string[]).includes(failedStep.step)
          ? (failedStep.step as OnboardingStep)
          : undefined;
      if (pipeline) {
        // Failed in a step service's run of this operation: that service re-runs it (its failed VMs only).
        await this.operations.stepStarted(op.id, pipeline, failedStep!.seq);
        await this.outbox.emit(
          OnboardingRetryRequested,
          { tenantId: t.id, step: pipeline, attempt: failedStep!.attempt + 1 },
          { tenantId: t.id, operationId: op.id },
        );
      } else if (!(await this.jobs.reopen(OPERATION_JOB, op.id))) {
        await this.jobs.enqueue(OPERATION_JOB, op.id, { operationId: op.id, tenantId: t.id }, t.siteId);
      }
      return (await this.operations.findById(op.id))!;
    });
  }
}
