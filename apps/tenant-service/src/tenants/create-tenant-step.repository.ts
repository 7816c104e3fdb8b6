import { Injectable } from '@nestjs/common';
import { OnboardingStep } from '@tpo/contracts';
import { GuardedStatement } from '@tpo/persistence';
import { StepStore, StepWork } from '@tpo/steps';
import { OnboardOperation } from '../operations/onboard-operation';
import { TenantTimelineRepository } from './tenant-timeline.repository';
import { TenantRecord, TenantRepository } from './tenant.repository';

export const CREATE_TENANT_STEP = 'create-tenant' as const;

/** What step 1 records with its success: the tenant's ids on the Integration Server. */
export interface CreateTenantOutput {
  integrationServerTenantId: string;
  virtualServerId: string;
}

/** Progress step 1 clears with its failure when the CreateTenant task is over (a retry creates again). */
export interface CreateTenantProgressReset {
  createTaskId: null;
  createIntentAt: null;
}

/**
 * Step 1's record for the shared step machinery (OnboardingStepJob). Unlike the downstream steps
 * (`step_work`), step 1 lives on the tenant (its create intent and task id) and its timeline
 * (`tenant_step`); step 1 belongs to the onboarding only, so its run is always ''. Ending the step
 * moves the tenant's timeline and the onboard operation on, in the job's final transaction.
 */
@Injectable()
export class CreateTenantStepRepository implements StepStore<TenantRecord> {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly timeline: TenantTimelineRepository,
    private readonly onboard: OnboardOperation,
  ) {}

  async find(tenantId: string): Promise<StepWork<TenantRecord> | undefined> {
    const found = await this.timeline.findWithStep(tenantId, CREATE_TENANT_STEP);
    if (!found) return undefined;
    const { tenant: t, step: record } = found;
    const atStep1 = t.currentStep === CREATE_TENANT_STEP;
    return {
      tenantId: t.id,
      runId: '',
      step: CREATE_TENANT_STEP,
      siteId: t.siteId,
      // Step 1 runs while the tenant is onboarding at it; anything else means it has ended.
      status:
        atStep1 && t.status === 'onboarding' ? 'running' : atStep1 && t.status === 'failed' ? 'failed' : 'succeeded',
      attempt: record?.attempt ?? 1,
      input: t,
      output: null,
      errorCode: record?.errorCode ?? null,
      errorMessage: record?.errorMessage ?? null,
      retryable: record?.retryable ?? null,
      createdAt: t.createdAt,
      updatedAt: t.updatedAt,
    };
  }

  /** The timeline row is written as running with the tenant (intake) and by a retry. */
  async setRunning(): Promise<void> {}

  /** The tenant moves on to step 2 (configure-svm), whose service starts on TenantCreated. */
  async succeed(tenantId: string, _step: OnboardingStep, output: CreateTenantOutput): Promise<void> {
    await this.timeline.createTenantSucceeded(tenantId, output);
  }

  /** `succeed` as statements: with the job's end and TenantCreated, one statement (JobContext.succeedWith). */
  succeedStatement(tenantId: string, _step: OnboardingStep, output: CreateTenantOutput): GuardedStatement[] {
    return this.timeline.createTenantSucceededStatements(tenantId, output);
  }

  /**
   * `fail` as statements: with the job's end and OnboardingStepFailed, one statement
   * (JobContext.failWith). The same rows as `fail`: the tenant and its lifecycle, step 1's timeline
   * row (its attempt kept), the onboard operation.
   */
  failStatement(
    tenantId: string,
    _step: OnboardingStep,
    error: { code: string; message: string; retryable: boolean },
    reset?: CreateTenantProgressReset,
  ): GuardedStatement[] {
    const failure = { step: CREATE_TENANT_STEP, code: error.code, message: error.message, retryable: error.retryable };
    return [
      ...this.timeline.createTenantFailedStatements(tenantId, failure, reset !== undefined),
      this.onboard.failedStatement(tenantId, failure),
    ];
  }

  async fail(
    tenantId: string,
    _step: OnboardingStep,
    error: { code: string; message: string; retryable: boolean },
    reset?: CreateTenantProgressReset,
  ): Promise<void> {
    // Only these four: the caller's error object may carry more (the whole step result).
    const failure = { step: CREATE_TENANT_STEP, code: error.code, message: error.message, retryable: error.retryable };
    const attempt = (await this.tenants.step(tenantId, CREATE_TENANT_STEP))?.attempt ?? 1;
    await this.tenants.update(tenantId, { status: 'failed', failure, ...(reset ?? {}) });
    await this.tenants.stepFailed(tenantId, failure, attempt);
    await this.onboard.failed(tenantId, failure);
  }
}
