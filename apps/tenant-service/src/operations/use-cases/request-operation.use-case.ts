import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { formatValidationErrors } from '@tpo/contracts';
import { DomainError, PlatformErrorCode } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { JobRepository } from '@tpo/service-kit';
import { TenantErrorCode } from '../../tenants/tenant-errors';
import { TenantRecord, TenantRepository } from '../../tenants/tenant.repository';
import { OPERATION_JOB } from '../operation.job';
import { inProgress } from '../operation-errors';
import { OperationRecord, OperationRepository } from '../operation.repository';
import { RequestableKind, RequestOperationCommand } from './request-operation.command';

export type OperationRequestOutcome = { outcome: 'accepted' | 'duplicate'; operation: OperationRecord };

/** Which lifecycle states accept which operation; the refusal explains why. */
function refusal(kind: RequestableKind, t: TenantRecord): DomainError | undefined {
  if (t.lifecycle === 'deprovisioned') return new DomainError(TenantErrorCode.TenantDeprovisioned, `tenant ${t.id} is deprovisioned; no operation can run on it`);
  switch (kind) {
    case 'suspend':
      if (t.lifecycle === 'suspended') return new DomainError(TenantErrorCode.TenantSuspended, `tenant ${t.id} is already suspended${t.lifecycleReason ? ` (${t.lifecycleReason})` : ''}`);
      return t.lifecycle === 'active' ? undefined : new DomainError(TenantErrorCode.TenantNotActive, `tenant ${t.id} is ${t.lifecycle}; only an active tenant can be suspended`);
    case 'resume':
      return t.lifecycle === 'suspended' ? undefined : new DomainError(TenantErrorCode.TenantNotSuspended, `tenant ${t.id} is ${t.lifecycle}; only a suspended tenant can be resumed`);
    case 'deprovision':
      // A tenant still onboarding has its onboarding running (refused below as in progress); a failed one is cleaned.
      return undefined;
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/**
 * Starts a lifecycle operation (suspend, resume, deprovision), the same for REST and the order
 * systems' events: validate, refuse what the tenant's state does not allow, at most one operation
 * per tenant at a time (a second is refused with the running one's id), then record the operation
 * and queue its job — one transaction. A repeated request id returns the same operation.
 */
@Injectable()
export class RequestOperationUseCase {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tenants: TenantRepository,
    private readonly operations: OperationRepository,
    private readonly jobs: JobRepository,
  ) {}

  async execute(input: RequestOperationCommand): Promise<OperationRequestOutcome> {
    const command = plainToInstance(RequestOperationCommand, input);
    const errors = formatValidationErrors(validateSync(command, { whitelist: true, forbidNonWhitelisted: true }));
    if (errors.length > 0) throw new DomainError(PlatformErrorCode.InvalidInput, 'invalid operation request', { details: { fields: errors } });
    return this.uow.runIsolated(() => this.start(command));
  }

  private async start(c: RequestOperationCommand): Promise<OperationRequestOutcome> {
    // The tenant row lock serialises operation requests of one tenant.
    const t = await this.tenants.findById(c.tenantId, true);
    if (!t) throw new DomainError(TenantErrorCode.TenantNotFound, `tenant ${c.tenantId} not found`);
    if (c.requestId) {
      const same = await this.operations.byRequest(t.id, c.kind, c.requestId);
      if (same) return { outcome: 'duplicate', operation: same };
    }
    const running = await this.operations.running(t.id);
    if (running) throw inProgress(t.id, running);
    const refused = refusal(c.kind, t);
    if (refused) throw refused;
    const id = randomUUID();
    const inserted = await this.operations.insertRunning({
      id,
      tenantId: t.id,
      kind: c.kind,
      requester: c.requester,
      correlationId: c.correlationId ?? null,
      requestId: c.requestId ?? null,
      reason: c.reason ?? null,
      scope: null,
    });
    if (!inserted) {
      const now = await this.operations.running(t.id);
      if (now) throw inProgress(t.id, now);
      throw new DomainError(PlatformErrorCode.Conflict, `operation request ${c.requestId ?? ''} conflicts with an existing one`);
    }
    if (c.kind === 'deprovision') await this.tenants.setLifecycle(t.id, 'deprovisioning', c.reason);
    await this.jobs.enqueue(OPERATION_JOB, id, { operationId: id, tenantId: t.id }, t.siteId);
    return { outcome: 'accepted', operation: (await this.operations.findById(id))! };
  }
}
