import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError, RequestContext } from '@tpo/platform';
import { ChainLink, GuardedStatement } from '@tpo/persistence';
import { TenantErrorCode } from '../tenants/tenant-errors';
import { TenantRepository } from '../tenants/tenant.repository';
import { OperationRepository } from './operation.repository';
import { inProgress } from './operation-errors';

/**
 * The onboarding as an operation of kind `onboard`: started with the tenant, ended by the handover
 * or a step failure, running again on a retry. Keeps the tenant's lifecycle in step with it.
 * Runs inside the caller's transaction.
 */
@Injectable()
export class OnboardOperation {
  constructor(
    private readonly operations: OperationRepository,
    private readonly tenants: TenantRepository,
  ) {}

  async started(tenantId: string, orderId: string, requester: string): Promise<void> {
    await this.operations.insertRunning(this.onboarding(tenantId, orderId, requester));
  }

  /** `started` as a link of the intake's chained statement (with the tenant it belongs to, `gate`). */
  startedLink(tenantId: string, orderId: string, requester: string, gate: string): ChainLink {
    return this.operations.insertRunningLink(this.onboarding(tenantId, orderId, requester), gate);
  }

  private onboarding(tenantId: string, orderId: string, requester: string) {
    return {
      id: randomUUID(),
      tenantId,
      kind: 'onboard' as const,
      requester,
      correlationId: RequestContext.current()?.correlationId ?? null,
      requestId: orderId,
      reason: null,
      scope: null,
    };
  }

  /** The tenant's lifecycle became active with the handover itself (TenantTimelineRepository.stepEnded, same transaction). */
  async succeeded(tenantId: string, result: Record<string, unknown>): Promise<void> {
    await this.operations.succeedOnboarding(tenantId, result);
  }

  /** `succeeded` as a guarded statement, for the handover's writes in one statement. */
  succeededStatement(tenantId: string, result: Record<string, unknown>): GuardedStatement {
    return this.operations.succeedOnboardingStatement(tenantId, result);
  }

  async failed(tenantId: string, failure: { code: string; message: string; retryable: boolean }): Promise<void> {
    const op = await this.operations.onboarding(tenantId);
    if (op?.state === 'running') await this.operations.fail(op.id, failure);
    const t = await this.tenants.findById(tenantId);
    if (t?.lifecycle === 'onboarding') await this.tenants.setLifecycle(tenantId, 'failed');
  }

  /**
   * `failed` as a guarded statement, for step 1's end in one statement: the running onboarding
   * fails; the tenant's lifecycle is set by the same end's tenant write
   * (TenantTimelineRepository.createTenantFailedStatements).
   */
  failedStatement(tenantId: string, failure: { code: string; message: string; retryable: boolean }): GuardedStatement {
    return this.operations.failOnboardingStatement(tenantId, failure);
  }

  /** A retry of a failed onboarding: refused while another operation (e.g. a deprovision) runs. */
  async reopened(tenantId: string): Promise<void> {
    const op = await this.operations.onboarding(tenantId);
    const t = await this.tenants.findById(tenantId);
    if (t?.lifecycle === 'deprovisioning' || t?.lifecycle === 'deprovisioned') {
      throw new DomainError(
        TenantErrorCode.TenantDeprovisioned,
        `tenant ${tenantId} is ${t.lifecycle}; its onboarding cannot be retried`,
      );
    }
    if (op && op.state === 'failed' && !(await this.operations.reopen(op.id)))
      throw inProgress(tenantId, (await this.operations.running(tenantId))!);
    await this.tenants.setLifecycle(tenantId, 'onboarding');
  }
}
