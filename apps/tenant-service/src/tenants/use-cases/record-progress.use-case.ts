import { Inject, Injectable } from '@nestjs/common';
import {
  AgentsInstalledV1,
  EventEnvelope,
  OnboardingStepFailedV1,
  SvmConfiguredV1,
  TenantActivatedV1,
  TenantReady,
  VmsRegisteredV1,
} from '@tpo/contracts';
import { InboxClaim, InboxRepository, OutboxWriter } from '@tpo/messaging';
import { combinedStatement, UnitOfWork } from '@tpo/persistence';
import { LOGGER, SERVICE_CONFIG } from '@tpo/platform';
import type { Logger } from 'pino';
import { TenantServiceEnv } from '../../config/tenant-service.env';
import { OnboardOperation } from '../../operations/onboard-operation';
import { OperationProgressUseCase } from '../../operations/use-cases/operation-progress.use-case';
import { TenantSecretRepository } from '../tenant-secret.repository';
import { StepEnded, StepEndedChange, TenantTimelineRepository } from '../tenant-timeline.repository';
import { TenantRepository } from '../tenant.repository';

/**
 * Keeps each tenant's timeline from the step events of the other services, and does the handover
 * when the tenant is activated. Runs inside the event's inbox transaction.
 */
@Injectable()
export class RecordProgressUseCase {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly secrets: TenantSecretRepository,
    private readonly outbox: OutboxWriter,
    private readonly timeline: TenantTimelineRepository,
    private readonly onboard: OnboardOperation,
    private readonly operations: OperationProgressUseCase,
    @Inject(SERVICE_CONFIG) private readonly config: TenantServiceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly inboxes: InboxRepository,
    private readonly uow: UnitOfWork,
  ) {}

  async svmConfigured(e: EventEnvelope<SvmConfiguredV1>, inbox?: InboxClaim): Promise<void> {
    await this.stepEnded(inbox, {
      tenantId: e.data.tenantId,
      done: 'configure-svm',
      next: 'install-agents',
      details: { applied: e.data.applied },
      always: { virtualServerName: e.data.virtualServerName },
    });
  }

  async agentsInstalled(e: EventEnvelope<AgentsInstalledV1>, inbox?: InboxClaim): Promise<void> {
    const operationId = e.operationid;
    if (operationId) return this.inTransaction(inbox, () => this.operations.agentsInstalled(operationId, e.data));
    await this.stepEnded(inbox, {
      tenantId: e.data.tenantId,
      done: 'install-agents',
      next: 'register-vms',
      details: { installed: e.data.succeeded.length, failed: e.data.failed },
      always: {
        requestedVms: true,
        vmSummary: { installed: e.data.succeeded.length, installFailed: e.data.failed },
      },
    });
  }

  async vmsRegistered(e: EventEnvelope<VmsRegisteredV1>, inbox?: InboxClaim): Promise<void> {
    const operationId = e.operationid;
    if (operationId) return this.inTransaction(inbox, () => this.operations.vmsRegistered(operationId, e.data));
    await this.stepEnded(inbox, {
      tenantId: e.data.tenantId,
      done: 'register-vms',
      next: 'activate',
      details: { registered: e.data.succeeded.length, failed: e.data.failed },
      always: { vmSummary: { registered: e.data.succeeded.length, registrationFailed: e.data.failed } },
    });
  }

  /**
   * Step 7, handover: the tenant is ready (its timeline, VM summary and lifecycle in the same
   * statement, with the event's inbox row); its password can be revealed once (for a limited
   * time), its onboarding succeeded and TenantReady is emitted, together in a second statement of
   * the same transaction. A redelivered event (its inbox row exists) writes nothing.
   */
  async tenantActivated(e: EventEnvelope<TenantActivatedV1>, inbox?: InboxClaim): Promise<void> {
    const operationId = e.operationid;
    if (operationId) return this.inTransaction(inbox, () => this.operations.tenantActivated(operationId, e.data));
    let ready: string | undefined;
    await this.uow.run(async () => {
      const r = await this.stepEnded(inbox, {
        tenantId: e.data.tenantId,
        done: 'activate',
        next: 'handover',
        details: { activeVms: e.data.activeVms },
        handover: { vmSummary: { active: e.data.activeVms } },
      });
      if (!r?.advanced) return;
      const t = r.tenant;
      const address = r.ksc?.publicAddress ?? 'unknown';
      const vasName = t.virtualServerName ?? t.name;
      const handover = combinedStatement([
        this.secrets.startRevealWindowStatement(t.id, this.config.PASSWORD_REVEAL_TTL_HOURS),
        this.onboard.succeededStatement(t.id, { activeVms: e.data.activeVms }),
        this.outbox.emitStatement([
          {
            definition: TenantReady,
            data: {
              tenantId: t.id,
              siteId: t.siteId,
              orderId: t.orderId,
              adminAccountName: t.adminAccountName,
              administrationServer: {
                address,
                port: portOf(r.ksc?.url),
                virtualServerName: vasName,
                connectionString: `${address}/${vasName}`,
              },
            },
            options: { tenantId: t.id },
          },
        ]),
      ]);
      await this.uow.manager().query(handover.text, handover.params);
      handover.applied();
      ready = t.id;
    });
    if (ready) this.logger.info({ tenantId: ready }, 'tenant ready for handover');
  }

  private inTransaction(inbox: InboxClaim | undefined, work: () => Promise<void>): Promise<void> {
    return this.inboxes.applyClaimed(inbox, work);
  }

  async stepFailed(e: EventEnvelope<OnboardingStepFailedV1>): Promise<void> {
    // A step of a later operation's run (add-vms): the operation's, not the onboarding's.
    if (e.operationid) return this.operations.stepFailed(e.operationid, e.data);
    const t = await this.tenants.findById(e.data.tenantId, true);
    if (!t) return;
    const current = await this.tenants.step(t.id, e.data.step);
    if (current && current.attempt > e.data.attempt) return; // a failure of an attempt that was already retried
    const failure = { step: e.data.step, code: e.data.code, message: e.data.message, retryable: e.data.retryable };
    await this.tenants.stepFailed(t.id, failure, e.data.attempt);
    for (const id of e.data.externalTaskIds ?? []) await this.tenants.addExternalTask(t.id, e.data.step, id);
    if (t.status !== 'ready') {
      await this.tenants.update(t.id, { status: 'failed', currentStep: e.data.step, failure });
      await this.onboard.failed(t.id, failure);
    }
  }

  /**
   * Marks `done` succeeded and moves the tenant on unless it is already past it
   * (TenantTimelineRepository.stepEnded). With the event's inbox claim (a `claimsInbox` handler), the
   * inbox row and these writes are one statement, with no transaction of their own.
   */
  private async stepEnded(inbox: InboxClaim | undefined, change: StepEndedChange): Promise<StepEnded | undefined> {
    const r = await this.timeline.stepEnded(change, inbox);
    if (!r) this.logger.warn({ tenantId: change.tenantId, step: change.done }, 'step event for an unknown tenant');
    return r;
  }
}

function portOf(url: string | undefined): number {
  if (!url) return 13299;
  const u = new URL(url);
  return u.port ? Number(u.port) : 13299;
}
