import { Inject, Injectable } from '@nestjs/common';
import { AgentsReleased, AgentsReleaseRequestedV1, VmFailure, VmRef } from '@tpo/contracts';
import { HostGroupApi, KscSession, TasksApi, VServersApi } from '@tpo/ksc-client';
import { OutboxWriter } from '@tpo/messaging';
import { JobContext, JobHandler, JobOutcome } from '@tpo/jobs';
import { LOGGER, SERVICE_CONFIG } from '@tpo/platform';
import { KasperskyClients, NETWORK_AGENT_PRODUCT } from '@tpo/site-directory';
import { classifyVendorError } from '@tpo/vendor-failures';
import type { Logger } from 'pino';
import { DeviceTask } from '../agent-install/device-task';
import { InstallSettings, installSettingsFrom } from '../agent-install/install-settings';
import { findHostsByName, KscHost } from '../agent-install/ksc-hosts';
import { AgentInstallServiceEnv } from '../config/agent-install-service.env';

export const RELEASE_AGENTS_JOB = 'release-agents';
export interface ReleaseAgentsPayload {
  tenantId: string;
  operationId: string;
  input: AgentsReleaseRequestedV1;
}

export const RELEASE_FAILED = 'AGENT_RELEASE_FAILED';

/**
 * Takes the tenant's agents off its VMs (remove-VMs, deprovision), in the vendor's order
 * (ksc-openapi-addendum.md §4): first every product but the Network Agent is uninstalled
 * (`Remote Deinstallation`, one task per product), then the hosts are handed back to the main
 * server (`KLNAG_TASK_RECONNECTION` with an empty `KLNAG_VS_NAME`), so they stay manageable.
 * Idempotent by looking first: a product no longer on a host is not uninstalled again, a host no
 * longer in the vAS is not handed back again (also after a crash between a task and its commit).
 * Per-VM results go out with AgentsReleased; a VM that fails does not stop the others.
 */
@Injectable()
export class ReleaseAgentsJob implements JobHandler<ReleaseAgentsPayload> {
  readonly kind = RELEASE_AGENTS_JOB;
  private readonly settings: InstallSettings;

  constructor(
    private readonly outbox: OutboxWriter,
    private readonly clients: KasperskyClients,
    @Inject(SERVICE_CONFIG) config: Partial<AgentInstallServiceEnv>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.settings = installSettingsFrom(config);
  }

  async run(ctx: JobContext<ReleaseAgentsPayload>): Promise<JobOutcome> {
    const input = ctx.job.payload.input;
    const failed = new Map<string, string>();
    // A vendor error here goes back to the job runner: it backs off and looks again, or gives up (every VM failed).
    await this.release(input, failed, ctx.signal);
    return this.done(ctx, input, failed);
  }

  async giveUp(ctx: JobContext<ReleaseAgentsPayload>, error: unknown): Promise<JobOutcome> {
    const c = classifyVendorError(error);
    const input = ctx.job.payload.input;
    return this.done(ctx, input, new Map(input.vms.map((v) => [v.biosUuid, `${c.code}: ${c.message}`])));
  }

  private done(
    ctx: JobContext<ReleaseAgentsPayload>,
    input: AgentsReleaseRequestedV1,
    failedById: Map<string, string>,
  ): Promise<JobOutcome> {
    const succeeded: VmRef[] = input.vms
      .filter((v) => !failedById.has(v.biosUuid))
      .map(({ biosUuid, name }) => ({ biosUuid, name }));
    const failed: VmFailure[] = input.vms
      .filter((v) => failedById.has(v.biosUuid))
      .map(({ biosUuid, name }) => ({
        biosUuid,
        name,
        code: RELEASE_FAILED,
        message: failedById.get(biosUuid)!.slice(0, 1000),
      }));
    return ctx.succeed(async () => {
      await this.outbox.emit(
        AgentsReleased,
        { tenantId: input.tenantId, siteId: input.siteId, succeeded, failed },
        { tenantId: input.tenantId, operationId: ctx.job.payload.operationId },
      );
      this.logger.info(
        {
          tenantId: input.tenantId,
          operationId: ctx.job.payload.operationId,
          released: succeeded.length,
          failed: failed.length,
        },
        'agents released',
      );
    });
  }

  private async release(
    input: AgentsReleaseRequestedV1,
    failed: Map<string, string>,
    signal: AbortSignal,
  ): Promise<void> {
    const { client } = await this.clients.kscClient(input.siteId);
    const sessions: KscSession[] = [];
    try {
      const main = await client.startSession({ signal });
      sessions.push(main);
      if (!(await new VServersApi(main).findByDisplayName(input.virtualServerName))) return; // no vAS: nothing is connected to it
      const vas = await client.startSession({ vserver: input.virtualServerName, signal });
      sessions.push(vas);
      const hosts = await findHostsByName(
        vas,
        input.vms.map((v) => v.name),
      );
      const inVas = input.vms.flatMap((v) => {
        const h = hosts.get(v.name.toLowerCase());
        return h ? [{ vm: v, host: h }] : [];
      });
      if (inVas.length === 0) return;
      const tasks = new TasksApi(vas, this.settings.remoteInstall);
      const hostGroup = new HostGroupApi(vas);
      // 1. Everything but the Network Agent, one Remote Deinstallation per product still installed.
      const byProduct = new Map<string, { vm: VmRef; host: KscHost }[]>();
      for (const entry of inVas) {
        const products = Object.keys(await hostGroup.getHostProducts(entry.host.id)).filter(
          (p) => p !== NETWORK_AGENT_PRODUCT,
        );
        for (const p of products) byProduct.set(p, [...(byProduct.get(p) ?? []), entry]);
      }
      for (const [product, entries] of byProduct) {
        signal.throwIfAborted();
        const live = entries.filter((e) => !failed.has(e.vm.biosUuid));
        const taskId = await tasks.addRemoteDeinstallTask({
          productName: product,
          target: { hostNames: [] },
          displayName: `Uninstall ${product} from tenant VMs (${input.virtualServerName})`,
        });
        await this.runTask(
          new DeviceTask(tasks, taskId, this.settings, this.logger, 'remote-deinstall'),
          live,
          failed,
          signal,
          `could not uninstall ${product}`,
        );
      }
      // 2. Back to the main server (an empty virtual server name, addendum §4.2).
      const back = inVas.filter((e) => !failed.has(e.vm.biosUuid));
      if (back.length === 0) return;
      signal.throwIfAborted();
      const taskId = await tasks.addReconnectionTask(
        '',
        { hostNames: [] },
        { displayName: `Return tenant VMs to the main server (${input.virtualServerName})` },
      );
      await this.runTask(
        new DeviceTask(tasks, taskId, this.settings, this.logger, 'reconnection'),
        back,
        failed,
        signal,
        'could not return the host to the main server',
      );
    } finally {
      await Promise.allSettled(sessions.map((s) => s.endSession()));
    }
  }

  private async runTask(
    task: DeviceTask,
    entries: { vm: VmRef; host: KscHost }[],
    failed: Map<string, string>,
    signal: AbortSignal,
    what: string,
  ): Promise<void> {
    const ids = entries.map((e) => e.host.id);
    const refused = await task.attach(ids);
    for (const e of entries)
      if (refused.has(e.host.id)) failed.set(e.vm.biosUuid, `${what}: ${refused.get(e.host.id)}`);
    const attached = ids.filter((id) => !refused.has(id));
    if (attached.length > 0) {
      const started = await task.run();
      const outcomes = await task.outcomes(attached, started, signal);
      for (const e of entries) {
        const o = outcomes?.get(e.host.id);
        if (o && !o.ok) failed.set(e.vm.biosUuid, `${what}: ${o.message}`);
      }
    }
    await task.delete();
  }
}
