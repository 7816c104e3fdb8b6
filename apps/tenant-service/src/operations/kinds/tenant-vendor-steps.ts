import { Inject, Injectable } from '@nestjs/common';
import { AgentsReleaseRequested, VmRef } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import {
  IntegrationServerClient,
  IntegrationServerError,
  TaskHandle,
  TERMINAL_STATES,
} from '@tpo/integration-server-client';
import { KscAsyncActionError, VServersApi } from '@tpo/ksc-client';
import { DomainError, SERVICE_CONFIG } from '@tpo/platform';
import { KasperskyClients } from '@tpo/site-directory';
import { TenantServiceEnv } from '../../config/tenant-service.env';
import { TenantRecord } from '../../tenants/tenant.repository';
import { orderMarker } from '../../tenants/use-cases/create-tenant.job';
import { OperationRepository } from '../operation.repository';
import { TenantVmRepository } from '../tenant-vm.repository';
import { OperationStep, OperationStepContext, OperationStepOutcome } from './operation-kind';

const notFound = (e: unknown, code?: string) =>
  e instanceof IntegrationServerError && e.status === 404 && (!code || e.code === code);

/**
 * The vendor calls lifecycle operations are made of, each idempotent with a lookup before any
 * repeat: an intent is recorded before an asynchronous call and the task id right after it, so a
 * restart polls the same task; after an intent without a task id (a crash between the call and its
 * commit) the step waits until every task of that type started since has ended and then looks at
 * the tenant's state again before deciding to call.
 */
@Injectable()
export class TenantVendorSteps {
  constructor(
    private readonly clients: KasperskyClients,
    @Inject(SERVICE_CONFIG) private readonly config: TenantServiceEnv,
    private readonly outbox: OutboxWriter,
    private readonly operations: OperationRepository,
    private readonly vms: TenantVmRepository,
  ) {}

  /**
   * Asks agent-install-service to uninstall the Light Agent from the VMs and hand the hosts back to
   * the main server (all the tenant's VMs, or only `only`), then waits for AgentsReleased. The
   * request and its marker commit together: it is sent once.
   */
  releaseAgents(name: string, only?: (ctx: OperationStepContext) => VmRef[]): OperationStep {
    return {
      name,
      run: async (ctx) => {
        if (ctx.detail.requestedAt) return { waiting: true };
        const t = ctx.tenant;
        if (!t.virtualServerName)
          return { skipped: true, detail: { reason: 'no virtual server recorded: no agent was moved into one' } };
        const vms = only
          ? only(ctx)
          : (await this.vms.ofTenant(t.id))
              .filter((v) => ['active', 'adding', 'removing'].includes(v.state))
              .map(({ biosUuid, name: vmName }) => ({ biosUuid, name: vmName }));
        if (vms.length === 0) return { skipped: true, detail: { reason: 'no VMs' } };
        await ctx.write(async () => {
          await this.outbox.emit(
            AgentsReleaseRequested,
            { tenantId: t.id, siteId: t.siteId, virtualServerName: t.virtualServerName!, vms },
            { tenantId: t.id, operationId: ctx.op.id },
          );
          await this.operations.mergeStepDetail(ctx.op.id, name, {
            requestedAt: new Date().toISOString(),
            vms: vms.length,
          });
        });
        return { waiting: true };
      },
    };
  }

  /** The tenant's id on the Integration Server; after a step-1 crash in doubt, found by our order marker. */
  async isTenantId(client: IntegrationServerClient, tenant: TenantRecord): Promise<string | undefined> {
    if (tenant.isTenantId) return tenant.isTenantId;
    const ours = (await client.listTenants()).find(
      (t) => t.name === tenant.name && (t.userData ?? '').includes(orderMarker(tenant.orderId)),
    );
    return ours?.id;
  }

  /** Deactivate (`false`) or activate (`true`) the tenant; `missing`: what a tenant absent from the IS means. */
  activation(name: string, active: boolean, missing: 'skip' | 'fail'): OperationStep {
    return {
      name,
      run: async (ctx) => {
        const { client } = await this.clients.integrationServer(ctx.tenant.siteId);
        const id = await this.isTenantId(client, ctx.tenant);
        const absent = (): OperationStepOutcome => {
          if (missing === 'skip')
            return { skipped: true, detail: { reason: 'no such tenant on the Integration Server' } };
          throw new DomainError('IS_TENANT_MISSING', `the Integration Server has no tenant ${id ?? ctx.tenant.name}`);
        };
        if (!id) return absent();
        const target = active ? 'Active' : 'Inactive';
        return this.task(
          ctx,
          client,
          'ChangeTenantActivation',
          async () => {
            try {
              return (await client.getTenant(id)).status === target;
            } catch (e) {
              if (notFound(e)) return 'absent';
              throw e;
            }
          },
          () => (active ? client.activateTenant(id) : client.deactivateTenant(id)),
          absent,
          { integrationServerTenantId: id, status: target },
        );
      },
    };
  }

  /** Unregisters the tenant's VMs from the IS (all of them, or only `only`); a VM already gone counts as done. */
  unregisterVms(name: string, only?: (ctx: OperationStepContext) => string[]): OperationStep {
    return {
      name,
      run: async (ctx) => {
        const { client } = await this.clients.integrationServer(ctx.tenant.siteId);
        const id = await this.isTenantId(client, ctx.tenant);
        if (!id)
          return { skipped: true, detail: { reason: 'no such tenant on the Integration Server', unregistered: [] } };
        let present: string[];
        try {
          present = (await client.listTenantVms(id)).map((v) => v.biosId.toLowerCase());
        } catch (e) {
          if (notFound(e))
            return { skipped: true, detail: { reason: 'no such tenant on the Integration Server', unregistered: [] } };
          throw e;
        }
        const wanted = only ? only(ctx).map((b) => b.toLowerCase()) : undefined;
        // What this step removes, fixed at its first look (a restart finds fewer and must not report fewer).
        let targets = ctx.detail.targets as string[] | undefined;
        if (!targets) {
          targets = wanted ? wanted.filter((b) => present.includes(b)) : present;
          await ctx.record({ targets });
        }
        for (const biosId of targets.filter((b) => present.includes(b))) {
          ctx.signal.throwIfAborted();
          try {
            await client.unregisterVm(id, { biosId });
          } catch (e) {
            if (!notFound(e)) throw e;
          }
        }
        return { detail: { unregistered: targets } };
      },
    };
  }

  /** DeleteTenant with removeTenantArtifacts=true (vAS, account, folder, policies, tasks, packages). */
  deleteTenant(name: string): OperationStep {
    return {
      name,
      run: async (ctx) => {
        const { client } = await this.clients.integrationServer(ctx.tenant.siteId);
        const id = await this.isTenantId(client, ctx.tenant);
        if (!id) return { skipped: true, detail: { reason: 'no such tenant on the Integration Server' } };
        return this.task(
          ctx,
          client,
          'DeleteTenant',
          async () => {
            try {
              await client.getTenant(id);
              return false;
            } catch (e) {
              if (notFound(e)) return true;
              throw e;
            }
          },
          () => client.deleteTenant(id, { removeTenantArtifacts: true }),
          () => ({ detail: { integrationServerTenantId: id } }),
          { integrationServerTenantId: id, removeTenantArtifacts: true },
        );
      },
    };
  }

  /**
   * Deletes the tenant's virtual Administration Server where the IS left it (looked up first; usually
   * gone already). The intent is recorded before VServers.DelVServer: its action runs on the KSC
   * whatever happens to us, and can only be polled on the session that started it, so after a crash
   * (or a lost answer) the step looks for the vAS again and waits for it to go, until the deadline
   * counted from the intent, before it would call DelVServer a second time.
   */
  deleteVirtualServer(name: string): OperationStep {
    return {
      name,
      run: async (ctx) => {
        const vsId = Number(ctx.tenant.virtualServerId);
        if (!ctx.tenant.virtualServerId || !Number.isSafeInteger(vsId))
          return { skipped: true, detail: { reason: 'no virtual server recorded' } };
        const intentAt = ctx.detail.intentAt as string | undefined;
        const { sessions } = await this.clients.kscClient(ctx.tenant.siteId);
        // A pooled main-server session, this step's alone until it returns (DelVServer is polled on it).
        return await sessions.use(
          async (session) => {
            const api = new VServersApi(session);
            if (!(await api.getVServers()).some((v) => v.KLVSRV_ID === vsId))
              return intentAt
                ? { detail: { virtualServerId: vsId, deleted: true, intentAt } } // our earlier call did it
                : { skipped: true, detail: { virtualServerId: vsId, reason: 'already gone' } };
            const deadline = this.config.VSERVER_DELETE_DEADLINE_MS;
            if (intentAt && Date.parse(intentAt) + deadline > Date.now())
              throw new DomainError(
                'OPERATION_IN_DOUBT',
                `a VServers.DelVServer of virtual server ${vsId} was started at ${intentAt} (its answer was not recorded); waiting for the virtual server to go`,
                { retryable: true },
              );
            await ctx.record({ intentAt: new Date().toISOString() });
            ctx.signal.throwIfAborted(); // a lost lease or shutdown: never call after it
            try {
              await api.delVServerAndWait(vsId, { signal: ctx.signal, deadline: Date.now() + deadline });
            } catch (e) {
              // The action ended and said it failed: nothing in doubt, a retry may call again at once.
              if (e instanceof KscAsyncActionError) await ctx.record({ intentAt: null });
              throw e;
            }
            return { detail: { virtualServerId: vsId, deleted: true } };
          },
          { signal: ctx.signal },
        );
      },
    };
  }

  /**
   * One asynchronous IS call, at most once per need: `done()` looks at the effect first (true: done,
   * 'absent': the tenant is gone); the task id is stored before polling so a restart polls it.
   */
  private async task(
    ctx: OperationStepContext,
    client: IntegrationServerClient,
    type: string,
    done: () => Promise<boolean | 'absent'>,
    call: () => Promise<TaskHandle>,
    absent: () => OperationStepOutcome,
    detail: Record<string, unknown>,
  ): Promise<OperationStepOutcome> {
    let taskId = ctx.detail.taskId as string | undefined;
    if (!taskId) {
      const state = await done();
      if (state === 'absent') return absent();
      if (state) return { detail: { ...detail, alreadyDone: true } };
      const intentAt = ctx.detail.intentAt as string | undefined;
      if (intentAt) {
        const since = new Date(Date.parse(intentAt) - this.config.CREATE_INTENT_CLOCK_SKEW_MS);
        const open = (await client.listTasks({ type, createdFrom: since })).filter(
          (t) => !TERMINAL_STATES.has(t.state),
        );
        if (open.length > 0)
          throw new DomainError(
            'OPERATION_IN_DOUBT',
            `${open.length} ${type} task(s) started since this step's call are still running; deciding once they end`,
            { retryable: true },
          );
        const again = await done();
        if (again === 'absent') return absent();
        if (again) return { detail: { ...detail, alreadyDone: true } };
      }
      await ctx.record({ intentAt: new Date().toISOString() });
      ctx.signal.throwIfAborted(); // a lost lease or shutdown: never call after it
      taskId = (await call()).taskId;
      await ctx.record({ taskId });
    }
    await client.waitForTask(taskId, { signal: ctx.signal, deadlineMs: this.config.CREATE_TASK_DEADLINE_MS });
    return { detail: { ...detail, taskId } };
  }
}
