import { Inject, Injectable } from '@nestjs/common';
import { LicenseLimitReached, TenantActivated, VmsRegisteredV1 } from '@tpo/contracts';
import { IsTaskFailedError } from '@tpo/integration-server-client';
import { OutboxWriter } from '@tpo/messaging';
import { LOGGER, SERVICE_CONFIG } from '@tpo/platform';
import { OnboardingStepJob, StepJobScope, StepResult, StepWork, StepWorkRepository } from '@tpo/steps';
import { KasperskyClients, SiteLicense } from '@tpo/site-directory';
import { classifyVendorError } from '@tpo/vendor-failures';
import type { Logger } from 'pino';
import { ActivationServiceEnv } from '../config/activation-service.env';
import { SiteLicenseReader } from '../licensing/site-license.reader';
import { checkLicense, licenseBudget } from './license-check';

interface ActivationOutput {
  activeVms?: number;
  taskId?: string;
  /** Set (with activeVms) before ActivateTenant is called; with no task id a call may have been made. */
  activationIntentAt?: string;
}

/**
 * Step 6: check the site's license restrictions (configured limits and the live keys of the main
 * server, see SiteLicenseReader), activate the tenant (task persisted before
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
    private readonly clients: KasperskyClients,
    @Inject(SERVICE_CONFIG) private readonly config: ActivationServiceEnv,
    private readonly licenses: SiteLicenseReader,
  ) {
    super({ steps, outbox, logger, classify: classifyVendorError });
  }

  protected async execute(
    work: StepWork<VmsRegisteredV1>,
    signal: AbortSignal,
    job: StepJobScope,
  ): Promise<StepResult> {
    const { site, client } = await this.clients.integrationServer(work.siteId);
    const requested = work.input.succeeded.length;
    const output = (work.output ?? {}) as ActivationOutput;
    const isTenantId = work.input.integrationServerTenantId;
    let taskId = output.taskId;
    if (!taskId) {
      // Lookup before repeating: a call made before a crash may already have activated the tenant.
      const alreadyActive =
        output.activationIntentAt !== undefined && (await client.getTenant(isTenantId)).status === 'Active';
      if (!alreadyActive) {
        // Live numbers: the main server's keys (briefly cached) and the site's limits; the count is taken under the lock.
        const live = await this.licenses.read(site.id, { signal });
        const held = await this.reserveLicense(work, live.effective, requested, job);
        if (held) return held;
        signal.throwIfAborted();
        const handle = await client.activateTenant(isTenantId);
        taskId = handle.taskId;
        await this.base.steps.mergeOutput(work.tenantId, this.step, { taskId }, job.write);
      }
    }
    if (taskId) {
      try {
        await client.waitForTask(taskId, { signal, deadlineMs: this.config.ACTIVATION_TASK_DEADLINE_MS });
      } catch (e) {
        if (!(e instanceof IsTaskFailedError)) throw e;
        // The task is over: a retry starts a new one, and the VMs no longer count against the license.
        await this.base.steps.mergeOutput(
          work.tenantId,
          this.step,
          { taskId: null, activeVms: 0, activationIntentAt: null },
          job.write,
        );
        const c = classifyVendorError(e);
        return { ok: false, code: c.code, message: c.message, retryable: true, output: { failedTaskId: taskId } };
      }
    }
    const tenant = await client.getTenant(isTenantId);
    if (tenant.status !== 'Active') {
      return {
        ok: false,
        code: 'NOT_ACTIVE_AFTER_ACTIVATION',
        message: `the Integration Server reports the tenant ${tenant.status ?? 'without a status'}`,
        retryable: true,
      };
    }
    return {
      ok: true,
      output: { activeVms: requested, taskId, confirmedStatus: tenant.status },
      event: {
        definition: TenantActivated,
        payload: {
          tenantId: work.tenantId,
          siteId: work.siteId,
          integrationServerTenantId: isTenantId,
          activeVms: requested,
        },
      },
    };
  }

  /**
   * Takes `requested` VMs from the site's license under a per-site lock, in the same transaction as
   * the count (and fenced by the job's lease), and records the intent to activate: the count and the
   * intent are one statement, the intent written only if the count leaves room (licenseBudget, the
   * same rule as checkLicense). Returns the failed step when the license would be exceeded.
   */
  private async reserveLicense(
    work: StepWork<VmsRegisteredV1>,
    license: SiteLicense | undefined,
    requested: number,
    job: StepJobScope,
  ): Promise<StepResult | undefined> {
    const now = new Date();
    const { used, reserved } = await this.base.steps.reserveOutputNumber(
      work.tenantId,
      this.step,
      work.siteId,
      {
        lock: 'license',
        key: 'activeVms',
        budget: licenseBudget(license, requested, now),
        patch: { activeVms: requested, activationIntentAt: now.toISOString() },
      },
      job.query,
    );
    const verdict = checkLicense(license, used, requested, now);
    // Both follow one rule; a disagreement is a bug here, not a licence verdict.
    if (verdict.ok !== reserved) throw new Error(`license check and reservation disagree (${used} used)`);
    if (verdict.ok) return undefined;
    return {
      ok: false,
      code: verdict.code,
      message: verdict.reason,
      retryable: true,
      alsoEmit: [
        {
          definition: LicenseLimitReached,
          payload: {
            tenantId: work.tenantId,
            siteId: work.siteId,
            reason: verdict.reason,
            licensedVms: license?.maxVms,
            usedVms: used,
            requestedVms: requested,
            expiresAt: license?.expiresAt,
          },
        },
      ],
    };
  }
}
