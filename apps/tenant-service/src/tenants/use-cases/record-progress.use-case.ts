import { Inject, Injectable } from '@nestjs/common';
import {
  AgentsInstalledV1,
  ONBOARDING_STEPS,
  EventEnvelope,
  OnboardingStep,
  OnboardingStepFailedV1,
  SvmConfiguredV1,
  TenantActivatedV1,
  TenantReady,
  VmsRegisteredV1,
} from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { LOGGER, SERVICE_CONFIG } from '@tpo/platform';
import type { Logger } from 'pino';
import { TenantServiceEnv } from '../../config/tenant-service.env';
import { OnboardOperation } from '../../operations/onboard-operation';
import { OperationProgressUseCase } from '../../operations/use-cases/operation-progress.use-case';
import { SiteRepository } from '../../sites/site.repository';
import { TenantSecretRepository } from '../tenant-secret.repository';
import { TenantRecord, TenantRepository } from '../tenant.repository';

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
    private readonly sites: SiteRepository,
    private readonly onboard: OnboardOperation,
    private readonly operations: OperationProgressUseCase,
    @Inject(SERVICE_CONFIG) private readonly config: TenantServiceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async svmConfigured(e: EventEnvelope<SvmConfiguredV1>): Promise<void> {
    const r = await this.advance(e.data.tenantId, 'configure-svm', 'install-agents', { applied: e.data.applied });
    if (r) await this.tenants.update(r.tenant.id, { virtualServerName: e.data.virtualServerName });
  }

  async agentsInstalled(e: EventEnvelope<AgentsInstalledV1>): Promise<void> {
    if (e.operationid) return this.operations.agentsInstalled(e.operationid, e.data);
    const r = await this.advance(e.data.tenantId, 'install-agents', 'register-vms', {
      installed: e.data.succeeded.length,
      failed: e.data.failed,
    });
    if (r)
      await this.mergeVmSummary(r.tenant.id, {
        requested: r.tenant.request.vms.length,
        installed: e.data.succeeded.length,
        installFailed: e.data.failed,
      });
  }

  async vmsRegistered(e: EventEnvelope<VmsRegisteredV1>): Promise<void> {
    if (e.operationid) return this.operations.vmsRegistered(e.operationid, e.data);
    const r = await this.advance(e.data.tenantId, 'register-vms', 'activate', {
      registered: e.data.succeeded.length,
      failed: e.data.failed,
    });
    if (r)
      await this.mergeVmSummary(r.tenant.id, {
        registered: e.data.succeeded.length,
        registrationFailed: e.data.failed,
      });
  }

  /** Step 7, handover: the tenant is ready; its password can be revealed once (for a limited time). */
  async tenantActivated(e: EventEnvelope<TenantActivatedV1>): Promise<void> {
    if (e.operationid) return this.operations.tenantActivated(e.operationid, e.data);
    const r = await this.advance(e.data.tenantId, 'activate', 'handover', { activeVms: e.data.activeVms });
    if (!r?.advanced) return;
    const t = r.tenant;
    const site = await this.sites.findById(t.siteId);
    const address = site?.connection.ksc.publicAddress ?? 'unknown';
    const vasName = t.virtualServerName ?? t.name;
    await this.secrets.startRevealWindow(t.id, this.config.PASSWORD_REVEAL_TTL_HOURS);
    await this.tenants.update(t.id, { status: 'ready', currentStep: 'handover', ready: true });
    await this.mergeVmSummary(t.id, { active: e.data.activeVms });
    await this.tenants.stepSucceeded(t.id, 'handover');
    await this.onboard.succeeded(t.id, { activeVms: e.data.activeVms });
    await this.outbox.emit(
      TenantReady,
      {
        tenantId: t.id,
        siteId: t.siteId,
        orderId: t.orderId,
        adminAccountName: t.adminAccountName,
        administrationServer: {
          address,
          port: portOf(site?.connection.ksc.url),
          virtualServerName: vasName,
          connectionString: `${address}/${vasName}`,
        },
      },
      { tenantId: t.id },
    );
    this.logger.info({ tenantId: t.id }, 'tenant ready for handover');
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
   * Marks `done` succeeded and, unless the tenant is already past it, moves it to `next`. Step
   * events arrive on different consumers, so a later step's event may be handled before an earlier
   * one's (e.g. TenantActivated before VmsRegistered): the tenant only ever moves forward.
   */
  private async advance(
    tenantId: string,
    done: OnboardingStep,
    next: OnboardingStep,
    details: Record<string, unknown>,
  ): Promise<{ tenant: TenantRecord; advanced: boolean } | undefined> {
    const t = await this.tenants.findById(tenantId, true);
    if (!t) {
      this.logger.warn({ tenantId, step: done }, 'step event for an unknown tenant');
      return undefined;
    }
    await this.tenants.stepSucceeded(t.id, done, details);
    if (t.status === 'ready' || ONBOARDING_STEPS.indexOf(t.currentStep) > ONBOARDING_STEPS.indexOf(done))
      return { tenant: t, advanced: false };
    await this.tenants.stepStarted(t.id, next);
    await this.tenants.update(t.id, { currentStep: next, status: 'onboarding', failure: null });
    return { tenant: t, advanced: true };
  }

  private async mergeVmSummary(tenantId: string, patch: Record<string, unknown>): Promise<void> {
    const fresh = await this.tenants.findById(tenantId);
    await this.tenants.update(tenantId, { vmSummary: { ...(fresh?.vmSummary ?? {}), ...patch } });
  }
}

function portOf(url: string | undefined): number {
  if (!url) return 13299;
  const u = new URL(url);
  return u.port ? Number(u.port) : 13299;
}
