import { Inject, Injectable } from '@nestjs/common';
import { AgentsInstalled, SvmConfiguredV1, VmFailure, VmRef } from '@tpo/contracts';
import { KscSession, VServersApi } from '@tpo/ksc-client';
import { OutboxWriter } from '@tpo/messaging';
import { LOGGER, SERVICE_CONFIG } from '@tpo/platform';
import { OnboardingStepJob, StepJobScope, StepResult, StepWork, StepWorkRepository } from '@tpo/steps';
import { KasperskyClients } from '@tpo/site-directory';
import { classifyVendorError } from '@tpo/vendor-failures';
import type { Logger } from 'pino';
import { AgentInstallServiceEnv } from '../config/agent-install-service.env';
import { installLightAgent } from './agent-installation';
import { InstallSettings, installSettingsFrom } from './install-settings';
import { preparePackages } from './package-preparation';
import { asStepFailure, StepFailure } from './step-failure';
import { executePlacement, planPlacement, resumePlacement } from './vm-placement';
import { VmProgress } from './vm-progress';
import { InstallContext, VmFacts } from './vm-task-flow';
import { validateVms } from './vm-validation';

/**
 * Step 4 (integration-server-api.md §8.5; ksc-openapi.md §5 phases B-D; ksc-openapi-addendum.md §1):
 * per VM, found by its address, the Network Agent pushed when no server manages it, the device
 * moved into the tenant's vAS (Network Agent reconnection), and the Light Agent of its OS family
 * installed there (`Remote Installation`), with per-VM state in step_vm. Every check that can fail
 * a VM (address, OS family, packages, duplicate devices, push account) runs before anything changes
 * on the KSC.
 *
 * Partial failure policy: the step succeeds when at least one VM made it; AgentsInstalled lists the
 * VMs that made it (they go on to registration) and those that did not, each with code and reason.
 * When none made it the step fails (NO_AGENT_INSTALLED, retryable); an admin retry redoes only the
 * failed VMs, and a VM whose agents are already there is not installed again. Transient KSC trouble
 * (transport, 5xx, expired session) is thrown so the job runner retries the whole run, which resumes
 * recorded tasks; definite KSC answers fail the step.
 */
@Injectable()
export class InstallAgentsJob extends OnboardingStepJob<SvmConfiguredV1> {
  readonly step = 'install-agents' as const;
  protected override readonly startsWithVms = true;
  private readonly settings: InstallSettings;

  constructor(
    steps: StepWorkRepository,
    outbox: OutboxWriter,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly clients: KasperskyClients,
    @Inject(SERVICE_CONFIG) config: Partial<AgentInstallServiceEnv>,
  ) {
    super({ steps, outbox, logger, classify: classifyVendorError });
    this.settings = installSettingsFrom(config);
  }

  protected async execute(
    work: StepWork<SvmConfiguredV1>,
    signal: AbortSignal,
    job: StepJobScope,
  ): Promise<StepResult> {
    const progress = new VmProgress(this.base.steps, job.write, work.tenantId, this.step);
    const vms = await progress.load(work.vms);
    if (vms.some((vm) => vm.status === 'pending' || vm.status === 'in_progress')) {
      try {
        await this.installAll(work, progress, signal);
      } catch (e) {
        const failure = asStepFailure(e);
        if (!failure) throw e; // transient: the job runner tries again later and resumes
        return {
          ok: false,
          code: failure.code,
          message: failure.message,
          retryable: failure.retryable,
          output: summary(progress),
        };
      }
    }
    if (progress.vms.some((vm) => vm.status === 'pending' || vm.status === 'in_progress'))
      throw new Error('some VMs were left unfinished; running the step again');
    const succeeded: VmRef[] = progress.vms
      .filter((vm) => vm.status === 'succeeded')
      .map(({ biosUuid, name }) => ({ biosUuid, name }));
    const failed: VmFailure[] = progress.vms
      .filter((vm) => vm.status === 'failed')
      .map(({ biosUuid, name, errorCode, errorMessage }) => ({
        biosUuid,
        name,
        code: errorCode ?? 'UNKNOWN',
        message: (errorMessage ?? '').slice(0, 1000),
      }));
    const output = summary(progress);
    if (succeeded.length === 0) {
      const codes = [...new Set(failed.map((f) => f.code))].join(', ');
      return {
        ok: false,
        code: 'NO_AGENT_INSTALLED',
        message: `the agents could not be installed on any of the ${failed.length} VMs (${codes})`,
        retryable: true,
        output,
      };
    }
    const { integrationServerTenantId, virtualServerName } = work.input;
    return {
      ok: true,
      output,
      event: {
        definition: AgentsInstalled,
        payload: {
          tenantId: work.tenantId,
          siteId: work.siteId,
          integrationServerTenantId,
          virtualServerName,
          succeeded,
          failed,
        },
      },
    };
  }

  private async installAll(work: StepWork<SvmConfiguredV1>, progress: VmProgress, signal: AbortSignal): Promise<void> {
    const { site, client, sessions } = await this.clients.kscClient(work.siteId);
    const facts = new Map<string, VmFacts>(
      work.input.vms.map((vm) => [
        vm.biosUuid,
        { name: vm.name, osFamily: vm.osFamily, address: vm.address || undefined },
      ]),
    );
    // The main-server session comes from the site's pool (this job's alone until it returns) and goes
    // back once the VMs are in the vAS; the session inside the tenant's vAS is this job's own and ends with it.
    let vas: KscSession | undefined;
    try {
      const { ctx, placed, vasPackageIds } = await sessions.use(
        async (main) => {
          const name = work.input.virtualServerName;
          // The id svm-config read this name by: one GetVServerInfo instead of listing every vAS (an
          // id that is not one, or no longer has this name, falls back to the list).
          const vServer = await new VServersApi(main).findByDisplayName(name, Number(work.input.virtualServerId));
          if (typeof vServer?.KLVSRV_ID !== 'number')
            throw new StepFailure(
              'VSERVER_NOT_FOUND',
              `the Administration Server has no virtual server named "${name}"`,
              false,
            );
          vas = await client.startSession({ vserver: name, signal });
          const families = await validateVms(main, progress, facts, site.deployment, site.id);
          const r = site.deployment?.remoteInstall;
          const ctx: InstallContext = {
            tenantId: work.tenantId,
            vServerName: name,
            main,
            vas,
            progress,
            settings: this.settings,
            logger: this.logger,
            signal,
            facts,
            families,
            pushInstall: site.ksc.pushInstall,
            reboot: {
              mode: r?.rebootMode ?? 'never',
              askPeriodMinutes: r?.askForRebootPeriodMinutes,
              forcePeriodMinutes: r?.forceRebootPeriodMinutes,
            },
          };
          await resumePlacement(ctx);
          const plan = await planPlacement(ctx);
          const inUse = new Set(
            progress.vms
              .filter((vm) => vm.status === 'pending' || vm.status === 'in_progress')
              .map((vm) => facts.get(vm.biosUuid)!.osFamily),
          );
          const lightAgents = [...inUse].map((f) => families.get(f)?.lightAgent).filter((p) => p !== undefined);
          // The first change on the KSC: only after every check above.
          const vasPackageIds = await preparePackages(
            main,
            vas,
            vServer.KLVSRV_ID,
            lightAgents,
            this.settings,
            this.logger,
            signal,
          );
          const placed = await executePlacement(ctx, plan);
          return { ctx, placed, vasPackageIds };
        },
        { signal },
      );
      // Inside the vAS only (ctx.main is back in the pool: a call on it would throw).
      await installLightAgent(ctx, placed, vasPackageIds);
    } finally {
      await vas?.endSession().catch(() => undefined);
    }
  }
}

function summary(progress: VmProgress) {
  const count = (status: string) => progress.vms.filter((vm) => vm.status === status).length;
  return {
    installed: count('succeeded'),
    failed: count('failed'),
    unfinished: count('pending') + count('in_progress'),
  };
}
