import { Injectable } from '@nestjs/common';
import { DomainError } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { JobRepository } from '@tpo/service-kit';
import { TenantErrorCode } from '../../tenants/tenant-errors';
import { TenantRepository } from '../../tenants/tenant.repository';
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
  ) {}

  execute(operationId: string): Promise<OperationRecord> {
    return this.uow.run(async () => {
      const op = await this.operations.findById(operationId, true);
      if (!op) throw new DomainError(TenantErrorCode.OperationNotFound, `operation ${operationId} not found`);
      const t = (await this.tenants.findById(op.tenantId, true))!;
      if (op.kind === 'onboard' || op.state !== 'failed') {
        throw new DomainError(TenantErrorCode.OperationNotFailed, `operation ${op.id} is ${op.kind === 'onboard' ? 'an onboarding (use POST /v1/tenants/:id/retry)' : op.state}`);
      }
      if (!(await this.operations.reopen(op.id))) throw inProgress(t.id, (await this.operations.running(t.id))!);
      if (!(await this.jobs.reopen(OPERATION_JOB, op.id))) await this.jobs.enqueue(OPERATION_JOB, op.id, { operationId: op.id, tenantId: t.id }, t.siteId);
      return (await this.operations.findById(op.id))!;
    });
  }
}
