import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  AgentsReleased,
  AgentsReleasedV1,
  EventEnvelope,
  LifecycleRequestBase,
  TenantDeprovisionRequested,
  TenantOperationRejected,
  TenantResumeRequested,
  TenantSuspendRequested,
  VmsAddRequested,
  VmsAddRequestedV1,
  VmsRemoveRequested,
  VmsRemoveRequestedV1,
} from '@tpo/contracts';
import { OnEvent, OnInvalidEvent, OutboxWriter } from '@tpo/messaging';
import { OperationProgressUseCase } from './use-cases/operation-progress.use-case';
import { DomainError } from '@tpo/platform';
import { RequestableKind } from './use-cases/request-operation.command';
import { RequestOperationUseCase } from './use-cases/request-operation.use-case';

/** Refusals an order system can act on (answered with TenantOperationRejected); anything else is retried. */
const REJECTIONS = new Set([
  'INVALID_INPUT',
  'TENANT_NOT_FOUND',
  'OPERATION_IN_PROGRESS',
  'TENANT_SUSPENDED',
  'TENANT_DEPROVISIONED',
  'TENANT_NOT_ACTIVE',
  'TENANT_NOT_SUSPENDED',
  'CONFLICT',
  'VM_ALREADY_IN_TENANT',
  'VM_OWNED_BY_ANOTHER_TENANT',
  'VM_NOT_IN_TENANT',
]);

/** Thin transport: an order system's lifecycle request becomes the same command REST builds; refusals become events. */
@Controller()
export class OperationsMessageController {
  constructor(
    private readonly request: RequestOperationUseCase,
    private readonly outbox: OutboxWriter,
    private readonly progress: OperationProgressUseCase,
  ) {}

  /** agent-install-service's answer to a release-agents step (its envelope names the operation). */
  @OnEvent(AgentsReleased)
  onAgentsReleased(@Payload() e: EventEnvelope<AgentsReleasedV1>): Promise<void> {
    if (!e.operationid) return Promise.resolve();
    return this.progress.agentsReleased(e.operationid, e.data);
  }

  @OnEvent(TenantSuspendRequested)
  onSuspend(@Payload() e: EventEnvelope<LifecycleRequestBase>): Promise<void> {
    return this.handle('suspend', e);
  }

  @OnEvent(TenantResumeRequested)
  onResume(@Payload() e: EventEnvelope<LifecycleRequestBase>): Promise<void> {
    return this.handle('resume', e);
  }

  @OnEvent(TenantDeprovisionRequested)
  onDeprovision(@Payload() e: EventEnvelope<LifecycleRequestBase>): Promise<void> {
    return this.handle('deprovision', e);
  }

  @OnEvent(VmsAddRequested)
  onAddVms(@Payload() e: EventEnvelope<VmsAddRequestedV1>): Promise<void> {
    return this.handle('add-vms', e, { vms: e.data.vms });
  }

  @OnEvent(VmsRemoveRequested)
  onRemoveVms(@Payload() e: EventEnvelope<VmsRemoveRequestedV1>): Promise<void> {
    return this.handle('remove-vms', e, { biosUuids: e.data.biosUuids });
  }

  @OnInvalidEvent(VmsAddRequested)
  onInvalidAddVms(@Payload() p: { envelope: EventEnvelope<unknown>; reasons: string[] }): Promise<void> {
    return this.rejectInvalid('add-vms', p);
  }

  @OnInvalidEvent(VmsRemoveRequested)
  onInvalidRemoveVms(@Payload() p: { envelope: EventEnvelope<unknown>; reasons: string[] }): Promise<void> {
    return this.rejectInvalid('remove-vms', p);
  }

  @OnInvalidEvent(TenantSuspendRequested)
  onInvalidSuspend(@Payload() p: { envelope: EventEnvelope<unknown>; reasons: string[] }): Promise<void> {
    return this.rejectInvalid('suspend', p);
  }

  @OnInvalidEvent(TenantResumeRequested)
  onInvalidResume(@Payload() p: { envelope: EventEnvelope<unknown>; reasons: string[] }): Promise<void> {
    return this.rejectInvalid('resume', p);
  }

  @OnInvalidEvent(TenantDeprovisionRequested)
  onInvalidDeprovision(@Payload() p: { envelope: EventEnvelope<unknown>; reasons: string[] }): Promise<void> {
    return this.rejectInvalid('deprovision', p);
  }

  private async handle(
    kind: RequestableKind,
    e: EventEnvelope<LifecycleRequestBase>,
    vms: { vms?: VmsAddRequestedV1['vms']; biosUuids?: string[] } = {},
  ): Promise<void> {
    const d = e.data;
    try {
      await this.request.execute({
        tenantId: d.tenantId,
        kind,
        requester: `order-system:${d.requester ?? e.source}`.slice(0, 200),
        requestId: d.requestId,
        reason: d.reason,
        correlationId: e.correlationid,
        ...vms,
      });
    } catch (error) {
      if (!(error instanceof DomainError) || !REJECTIONS.has(error.code)) throw error;
      const running = error.options.details?.runningOperationId as string | undefined;
      await this.outbox.emit(
        TenantOperationRejected,
        {
          tenantId: d.tenantId,
          requestId: d.requestId,
          kind,
          code: error.code,
          reason: error.message.slice(0, 1000),
          runningOperationId: running,
        },
        { tenantId: d.tenantId },
      );
    }
  }

  private async rejectInvalid(
    kind: RequestableKind,
    p: { envelope: EventEnvelope<unknown>; reasons: string[] },
  ): Promise<void> {
    const data = (p.envelope.data ?? {}) as { tenantId?: unknown; requestId?: unknown };
    await this.outbox.emit(TenantOperationRejected, {
      tenantId: typeof data.tenantId === 'string' ? data.tenantId.slice(0, 100) : undefined,
      requestId: typeof data.requestId === 'string' ? data.requestId.slice(0, 100) : undefined,
      kind,
      code: 'INVALID_INPUT',
      reason: p.reasons.join('; ').slice(0, 1000),
    });
  }
}
