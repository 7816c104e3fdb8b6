import { Inject, Injectable } from '@nestjs/common';
import { LicenseLimitReached, TenantActivated, VmsRegisteredV1 } from '@tpo/contracts';
import { IsTaskFailedError } from '@tpo/integration-server-client';
import { OutboxWriter } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { LOGGER, OnboardingStepJob, SERVICE_CONFIG, StepResult, StepWork, StepWorkRepository } from '@tpo/service-kit';
import { KasperskyClients } from '@tpo/site-directory';
import type { Logger } from 'pino';
import { ActivationServiceEnv } from '../config/activation-service.env';
import { checkLicense } from './license-check';

interface ActivationOutput {
  activeVms?: number;
  taskId?: string;
}

/**
 * Step 6: check the site's license restrictions, activate the tenant (task persisted before
 * polling), then read the tenant back and require `Active`. A tenant that would exceed the license
 * is held (failed step, retryable) with a LicenseLimitReached alert, not activated.
 */
@Injectable()
export class ActivateTenantJob extends OnboardingStepJob<VmsRegisteredV1> {
  readonly step = 'activate' as const;

  constructor(
    steps: StepWorkRepository,
    outbox: OutboxWriter,
    @Inject(LOGGER) logger: Logger,
    private readonly uow: UnitOfWork,
    private readonly clients: KasperskyClients,
    @Inject(SERVICE_CONFIG) private readonly config: ActivationServiceEnv,
  ) {
    super({ steps, outbox, logger });
  }

  protected async execute(work: StepWork<VmsRegisteredV1>, signal: AbortSignal): Promise<StepResult> {
    const { site, client } = await this.clients.integrationServer(work.siteId);
    const requested = work.input.succeeded.length;
    const output = (work.output ?? {}) as ActivationOutput;
    let taskId = output.taskId;
    if (!taskId) {
      const used = await this.base.steps.sumOutputNumber(this.step, work.siteId, 'activeVms', work.tenantId);
      const verdict = checkLicense(site.license, used, requested);
      if (!verdict.ok) {
        return {
          ok: false,
          code: verdict.code,
          message: verdict.reason,
          retryable: true,
          alsoEmit: [
            {
              definition: LicenseLimitReached,
              payload: { tenantId: work.tenantId, siteId: work.siteId, reason: verdict.reason, licensedVms: site.license?.maxVms, usedVms: used, requestedVms: requested, expiresAt: site.license?.expiresAt },
            },
          ],
        };
      }
      // Counted against the license from here on, so concurrent activations on the site see it.
      await this.uow.run(() => this.base.steps.mergeOutput(work.tenantId, this.step, { activeVms: requested }));
      const handle = await client.activateTenant(work.input.integrationServerTenantId);
      taskId = handle.taskId;
      await this.uow.run(() => this.base.steps.mergeOutput(work.tenantId, this.step, { taskId }));
    }
    try {
      await client.waitForTask(taskId, { signal, deadlineMs: this.config.ACTIVATION_TASK_DEADLINE_MS });
    } catch (e) {
      if (!(e instanceof IsTaskFailedError)) throw e;
      // The task is over: a retry starts a new one.
      await this.uow.run(() => this.base.steps.mergeOutput(work.tenantId, this.step, { taskId: null, activeVms: 0 }));
      return { ok: false, code: e.code ?? 'ACTIVATION_FAILED', message: e.task.error?.message ?? e.message, retryable: true, output: { failedTaskId: taskId } };
    }
    const tenant = await client.getTenant(work.input.integrationServerTenantId);
    if (tenant.status !== 'Active') {
      return { ok: false, code: 'NOT_ACTIVE_AFTER_ACTIVATION', message: `the Integration Server reports the tenant ${tenant.status ?? 'without a status'}`, retryable: true };
    }
    return {
      ok: true,
      output: { activeVms: requested, taskId, confirmedStatus: tenant.status },
      event: {
        definition: TenantActivated,
        payload: { tenantId: work.tenantId, siteId: work.siteId, integrationServerTenantId: work.input.integrationServerTenantId, activeVms: requested },
      },
    };
  }
}
