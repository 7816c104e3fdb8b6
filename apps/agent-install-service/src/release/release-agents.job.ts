import { Inject, Injectable } from '@nestjs/common';
import { AgentsReleased, AgentsReleaseRequestedV1, VmFailure, VmRef } from '@tpo/contracts';
import { HostGroupApi, TasksApi, VServersApi } from '@tpo/ksc-client';
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
import { ReleaseTask, ReleaseTaskRepository } from './release-task.repository';

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
 * Every task it creates is recorded (`release_task`, through ReleaseTaskRepository, fenced by the
 * job's lease) right after Tasks.AddTask, so a re-run after a crash waits for and reads the same
 * task instead of creating another; beyond that it looks first: a product no longer on a host is
 * not uninstalled again, a host no longer in the vAS is not handed back again.
 * Per-VM results go out with AgentsReleased; a VM that fails does not stop the others.
 */
@Injectable()
export class ReleaseAgentsJob implements JobHandler<ReleaseAgentsPayload> {
  readonly kind = RELEASE_AGENTS_JOB;
  private readonly settings: InstallSettings;

  constructor(
    private readonly outbox: OutboxWriter,
    private readonly clients: KasperskyClients,
    private readonly releaseTasks: ReleaseTaskRepository,
    @Inject(SERVICE_CONFIG) config: Partial<AgentInstallServiceEnv>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.settings = installSettingsFrom(config);
  }

  async run(ctx: JobContext<ReleaseAgentsPayload>): Promise<JobOutcome> {
    const input = ctx.job.payload.input;
    const failed = new Map<string, string>();
    // A vendor error here goes back to the job runner: it backs off and looks again, or gives up (every VM failed).
    await this.release(ctx, input, failed);
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
    ctx: JobContext<ReleaseAgentsPayload>,
    input: AgentsReleaseRequestedV1,
    failed: Map<string, string>,
  ): Promise<void> {
    const { signal } = ctx;
    const { tenantId, operationId } = ctx.job.payload;
    // Tasks this release created before a restart: their results count, unfinished ones are resumed.
    const recorded = await this.releaseTasks.ofRelease(tenantId, operationId);
    for (const r of recorded.values())
      for (const [biosUuid, message] of Object.entries(r.outcomes ?? {})) failed.set(biosUuid, message);
    const { client, sessions } = await this.clients.kscClient(input.siteId);
    // Main-server session from the site's pool, only to look the vAS up; the vAS session is this job's own.
    const found = await sessions.use((main) => new VServersApi(main).findByDisplayName(input.virtualServerName), {
      signal,
    });
    if (!found) return; // no vAS: nothing is connected to it
    const vas = await client.startSession({ vserver: input.virtualServerName, signal });
    try {
      const tasks = new TasksApi(vas, this.settings.remoteInstall);
      const run = new RecordedTasks(ctx, this.releaseTasks, tasks, this.settings, this.logger, recorded, failed);
      // 0. A task recorded but not finished before a restart is looked up and waited for, never created again.
      for (const r of recorded.values()) if (!r.outcomes && r.key !== RECONNECTION) await run.finish(r);
      const hosts = await findHostsByName(
        vas,
        input.vms.map((v) => v.name),
      );
      const inVas = input.vms.flatMap((v) => {
        const h = hosts.get(v.name.toLowerCase());
        return h ? [{ vm: v, host: h }] : [];
      });
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
        if (recorded.has(`${DEINSTALL}${product}`)) continue; // this release's task for it already ran
        await run.create(`${DEINSTALL}${product}`, entries, () =>
          tasks.addRemoteDeinstallTask({
            productName: product,
            target: { hostNames: [] },
            displayName: `Uninstall ${product} from tenant VMs (${input.virtualServerName})`,
          }),
        );
      }
      // 2. Back to the main server (an empty virtual server name, addendum §4.2).
      const reconnection = recorded.get(RECONNECTION);
      if (reconnection) {
        if (!reconnection.outcomes) await run.finish(reconnection);
        return;
      }
      await run.create(RECONNECTION, inVas, () =>
        tasks.addReconnectionTask(
          '',
          { hostNames: [] },
          { displayName: `Return tenant VMs to the main server (${input.virtualServerName})` },
        ),
      );
    } finally {
      await vas.endSession().catch(() => undefined);
    }
  }
}

const DEINSTALL = 'deinstall:';
const RECONNECTION = 'reconnection';

/** What a device's failure in a task says (the task's key says which task). */
const whatOf = (key: string) =>
  key === RECONNECTION
    ? 'could not return the host to the main server'
    : `could not uninstall ${key.slice(DEINSTALL.length)}`;
const kindOf = (key: string) => (key === RECONNECTION ? 'reconnection' : 'remote-deinstall');

/**
 * The release's KSC tasks, each recorded (fenced by the job's lease) at every point a restart must
 * not repeat: its id right after Tasks.AddTask, the devices added, RunTask's time, the per-device
 * results before the task is deleted. A crash between AddTask and its record leaves an empty task
 * that never runs (the re-run creates another): no device is acted on twice.
 */
class RecordedTasks {
  constructor(
    private readonly ctx: JobContext<ReleaseAgentsPayload>,
    private readonly repo: ReleaseTaskRepository,
    private readonly tasks: TasksApi,
    private readonly settings: InstallSettings,
    private readonly logger: Logger,
    private readonly recorded: Map<string, ReleaseTask>,
    private readonly failed: Map<string, string>,
  ) {}

  private save(key: string, patch: Partial<ReleaseTask>): Promise<void> {
    const { tenantId, operationId } = this.ctx.job.payload;
    return this.ctx.record(() => this.repo.update(tenantId, operationId, key, patch));
  }

  /** Creates the task for the devices not failed so far, records it at once, then runs it to the end. */
  async create(key: string, entries: { vm: VmRef; host: KscHost }[], add: () => Promise<string>): Promise<void> {
    const live = entries.filter((e) => !this.failed.has(e.vm.biosUuid));
    if (live.length === 0) return;
    this.ctx.signal.throwIfAborted(); // a lost lease or shutdown: never create after it
    const taskId = await add();
    const task: ReleaseTask = {
      key,
      taskId,
      hosts: live.map((e) => ({ biosUuid: e.vm.biosUuid, name: e.vm.name, hostId: e.host.id })),
      attached: false,
      startedAt: null,
      outcomes: null,
    };
    const { tenantId, operationId } = this.ctx.job.payload;
    await this.ctx.record(() => this.repo.created(tenantId, operationId, task));
    this.recorded.set(key, task);
    this.logger.info({ tenantId, operationId, taskId, key, devices: live.length }, 'release task created');
    await this.finish(task);
  }

  /**
   * Takes a recorded task from where it stopped: adds the devices (unless recorded as added; a
   * device already in the task stays in it once), runs it unless it already ran, waits for it,
   * records each device's result, then deletes it.
   */
  async finish(r: ReleaseTask): Promise<void> {
    const what = whatOf(r.key);
    const task = new DeviceTask(this.tasks, r.taskId, this.settings, this.logger, kindOf(r.key));
    if (!r.attached) {
      const refused = await task.attach(r.hosts.map((h) => h.hostId));
      r.hosts = r.hosts.map((h) => (refused.has(h.hostId) ? { ...h, refused: refused.get(h.hostId) } : h));
      r.attached = true;
      await this.save(r.key, { hosts: r.hosts, attached: true });
    }
    const outcomes: Record<string, string> = {};
    for (const h of r.hosts) if (h.refused !== undefined) outcomes[h.biosUuid] = `${what}: ${h.refused}`;
    const attached = r.hosts.filter((h) => h.refused === undefined);
    if (attached.length > 0) {
      if (r.startedAt === null) {
        this.ctx.signal.throwIfAborted();
        r.startedAt = await task.run(); // RunTask only if the task never ran (a crash before this record)
        await this.save(r.key, { startedAt: r.startedAt });
      }
      const results = await task.outcomes(
        attached.map((h) => h.hostId),
        r.startedAt,
        this.ctx.signal,
      );
      const gone = `the KSC task ${r.taskId} no longer exists, so its result is unknown`;
      for (const h of attached) {
        const o = results?.get(h.hostId) ?? { ok: false, message: gone };
        if (!o.ok) outcomes[h.biosUuid] = `${what}: ${o.message}`;
      }
    }
    r.outcomes = outcomes;
    await this.save(r.key, { outcomes });
    for (const [biosUuid, message] of Object.entries(outcomes)) this.failed.set(biosUuid, message);
    await task.delete(); // after its results are stored (ksc-openapi.md §5 C10)
  }
}
