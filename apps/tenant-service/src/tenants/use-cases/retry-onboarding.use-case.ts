import { Injectable } from '@nestjs/common';
import { OnboardingRetryRequested } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { DomainError } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { JobRepository } from '@tpo/jobs';
import { OnboardOperation } from '../../operations/onboard-operation';
import { TenantErrorCode } from '../tenant-errors';
import { TenantRecord, TenantRepository } from '../tenant.repository';
import { CREATE_TENANT_JOB } from './request-onboarding.use-case';

/**
 * Resumes a failed tenant at its failed step. Completed steps are not repeated (their external
 * effects stay); the owning service re-runs the step from the input it stored.
 */
@Injectable()
export class RetryOnboardingUseCase {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tenants: TenantRepository,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
    private readonly onboard: OnboardOperation,
  ) {}

  execute(tenantId: string): Promise<TenantRecord> {
    return this.uow.run(async () => {
      const t = await this.tenants.findById(tenantId, true);
      if (!t) throw new DomainError(TenantErrorCode.TenantNotFound, `tenant ${tenantId} not found`);
      if (t.status !== 'failed' || !t.failure)
        throw new DomainError(
          TenantErrorCode.TenantNotFailed,
          `tenant ${tenantId} is ${t.status}; only a failed tenant can be retried`,
        );
      await this.onboard.reopened(t.id);
      const step = t.failure.step;
      const attempt = ((await this.tenants.step(t.id, step))?.attempt ?? 1) + 1;
      await this.tenants.stepStarted(t.id, step, attempt);
      await this.tenants.update(t.id, { status: 'onboarding', currentStep: step, failure: null });
      if (step === 'create-tenant') {
        if (!(await this.jobs.reopen(CREATE_TENANT_JOB, t.id)))
          await this.jobs.enqueue(CREATE_TENANT_JOB, t.id, { tenantId: t.id }, t.siteId);
      } else {
        await this.outbox.emit(OnboardingRetryRequested, { tenantId: t.id, step, attempt }, { tenantId: t.id });
      }
      return (await this.tenants.findById(t.id))!;
    });
  }
}
