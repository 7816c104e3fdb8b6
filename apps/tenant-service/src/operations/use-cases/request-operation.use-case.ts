import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { formatValidationErrors } from '@tpo/contracts';
import { DomainError, PlatformErrorCode } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { JobRepository } from '@tpo/jobs';
import { TenantErrorCode } from '../../tenants/tenant-errors';
import { TenantRecord, TenantRepository } from '../../tenants/tenant.repository';
import { OPERATION_JOB } from '../operation.job';
import { inProgress } from '../operation-errors';
import { OperationRecord, OperationRepository } from '../operation.repository';
import { TenantVmRepository } from '../tenant-vm.repository';
import { RequestableKind, RequestOperationCommand } from './request-operation.command';

export type OperationRequestOutcome = { outcome: 'accepted' | 'duplicate'; operation: OperationRecord };

/** Which lifecycle states accept which operation; the refusal explains why. */
function refusal(kind: RequestableKind, t: TenantRecord): DomainError | undefined {
  if (t.lifecycle === 'deprovisioned')
    return new DomainError(
      TenantErrorCode.TenantDeprovisioned,
      `tenant ${t.id} is deprovisioned; no operation can run on it`,
    );
  switch (kind) {
    case 'suspend':
      if (t.lifecycle === 'suspended')
        return new DomainError(
          TenantErrorCode.TenantSuspended,
          `tenant ${t.id} is already suspended${t.lifecycleReason ? ` (${t.lifecycleReason})` : ''}`,
        );
      return t.lifecycle === 'active'
        ? undefined
        : new DomainError(
            TenantErrorCode.TenantNotActive,
            `tenant ${t.id} is ${t.lifecycle}; only an active tenant can be suspended`,
          );
    case 'resume':
      return t.lifecycle === 'suspended'
        ? undefined
        : new DomainError(
            TenantErrorCode.TenantNotSuspended,
            `tenant ${t.id} is ${t.lifecycle}; only a suspended tenant can be resumed`,
          );
    case 'deprovision':
      // A tenant still onboarding has its onboarding running (refused below as in progress); a failed one is cleaned.
      return undefined;
    case 'add-vms':
      if (t.lifecycle === 'suspended')
        return new DomainError(
          TenantErrorCode.TenantSuspended,
          `tenant ${t.id} is suspended${t.lifecycleReason ? ` (${t.lifecycleReason})` : ''}; it takes no new VMs`,
        );
      return t.lifecycle === 'active'
        ? undefined
        : new DomainError(
            TenantErrorCode.TenantNotActive,
            `tenant ${t.id} is ${t.lifecycle}; VMs are added to an active tenant only`,
          );
    case 'remove-vms':
      return t.lifecycle === 'active' || t.lifecycle === 'suspended'
        ? undefined
        : new DomainError(
            TenantErrorCode.TenantNotActive,
            `tenant ${t.id} is ${t.lifecycle}; VMs are removed from an active or suspended tenant only`,
          );
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
    private readonly vms: TenantVmRepository,
  ) {}

  async execute(input: RequestOperationCommand): Promise<OperationRequestOutcome> {
    const command = plainToInstance(RequestOperationCommand, input);
    const errors = formatValidationErrors(validateSync(command, { whitelist: true, forbidNonWhitelisted: true }));
    if (errors.length > 0)
      throw new DomainError(PlatformErrorCode.InvalidInput, 'invalid operation request', {
        details: { fields: errors },
      });
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
    const scope = await this.vmScope(c, t);
    const id = randomUUID();
    const inserted = await this.operations.insertRunning({
      id,
      tenantId: t.id,
      kind: c.kind,
      requester: c.requester,
      correlationId: c.correlationId ?? null,
      requestId: c.requestId ?? null,
      reason: c.reason ?? null,
      scope,
    });
    if (!inserted) {
      const now = await this.operations.running(t.id);
      if (now) throw inProgress(t.id, now);
      throw new DomainError(
        PlatformErrorCode.Conflict,
        `operation request ${c.requestId ?? ''} conflicts with an existing one`,
      );
    }
    if (c.kind === 'deprovision') await this.tenants.setLifecycle(t.id, 'deprovisioning', c.reason);
    if (c.kind === 'add-vms') await this.vms.insert(t.id, c.vms!, 'adding', id);
    if (c.kind === 'remove-vms') await this.vms.setState(t.id, c.biosUuids!, 'removing', id);
    await this.jobs.enqueue(OPERATION_JOB, id, { operationId: id, tenantId: t.id }, t.siteId);
    return { outcome: 'accepted', operation: (await this.operations.findById(id))! };
  }

  /** The VMs an add-vms / remove-vms operation is about, checked against the inventory: no partial change on a refusal. */
  private async vmScope(c: RequestOperationCommand, t: TenantRecord): Promise<Record<string, unknown> | null> {
    const invalid = (message: string, fields: string[]) =>
      new DomainError(PlatformErrorCode.InvalidInput, message, { details: { fields } });
    if (c.kind === 'add-vms') {
      if (!c.vms?.length) throw invalid('add-vms needs at least one VM', ['vms: vms must contain at least 1 elements']);
      const ids = c.vms.map((v) => v.biosUuid.toLowerCase());
      const dup = ids.find((b, i) => ids.indexOf(b) !== i);
      if (dup) throw invalid(`VM ${dup} is listed twice`, [`vms: BIOS id ${dup} is listed twice`]);
      const held = new Set(
        (await this.vms.ofTenant(t.id))
          .filter((v) => ['active', 'adding', 'removing'].includes(v.state))
          .map((v) => v.biosUuid.toLowerCase()),
      );
      const already = ids.filter((b) => held.has(b));
      if (already.length)
        throw new DomainError(
          TenantErrorCode.VmAlreadyInTenant,
          `VM(s) ${already.join(', ')} already belong to tenant ${t.id}`,
          { details: { biosUuids: already } },
        );
      const elsewhere = await this.vms.heldElsewhere(t.id, ids);
      if (elsewhere.length)
        throw new DomainError(
          TenantErrorCode.VmOwnedByAnotherTenant,
          `VM(s) ${elsewhere.join(', ')} belong to another tenant`,
          { details: { biosUuids: elsewhere } },
        );
      return { vms: c.vms };
    }
    if (c.kind === 'remove-vms') {
      if (!c.biosUuids?.length)
        throw invalid('remove-vms needs at least one VM', ['biosUuids: biosUuids must contain at least 1 elements']);
      const ids = [...new Set(c.biosUuids.map((b) => b.toLowerCase()))];
      const mine = new Map(
        (await this.vms.ofTenant(t.id)).filter((v) => v.state === 'active').map((v) => [v.biosUuid.toLowerCase(), v]),
      );
      const foreign = ids.filter((b) => !mine.has(b));
      if (foreign.length)
        throw new DomainError(
          TenantErrorCode.VmNotInTenant,
          `VM(s) ${foreign.join(', ')} are not VMs of tenant ${t.id}`,
          { details: { biosUuids: foreign } },
        );
      return { biosUuids: ids, vms: ids.map((b) => ({ biosUuid: b, name: mine.get(b)!.name })) };
    }
    return null;
  }
}
