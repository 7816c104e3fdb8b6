import { Inject, Injectable } from '@nestjs/common';
import { TenantCreated } from '@tpo/contracts';
import {
  IntegrationServerClient,
  IntegrationServerError,
  IsTaskFailedError,
  IsTenant,
  TERMINAL_STATES,
} from '@tpo/integration-server-client';
import { OutboxWriter } from '@tpo/messaging';
import { DomainError, LOGGER, SERVICE_CONFIG } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { EnvelopeCipher, generateAdminPassword, SealedSecret } from '@tpo/secrets';
import { LeaseLostError } from '@tpo/jobs';
import { OnboardingStepJob, StepJobScope, StepResult, StepWork } from '@tpo/steps';
import { KasperskyClients } from '@tpo/site-directory';
import { classifyVendorError, VendorFailure } from '@tpo/vendor-failures';
import type { Logger } from 'pino';
import { TenantServiceEnv } from '../../config/tenant-service.env';
import { SiteRepository } from '../../sites/site.repository';
import {
  CREATE_TENANT_STEP,
  CreateTenantOutput,
  CreateTenantProgressReset,
  CreateTenantStepRepository,
} from '../create-tenant-step.repository';
import { TenantSecretRepository } from '../tenant-secret.repository';
import { TenantTimelineRepository } from '../tenant-timeline.repository';
import { TenantRecord } from '../tenant.repository';

/** Marker written into the tenant's userData: how a lookup recognises a tenant we created. */
export function orderMarker(orderId: string): string {
  return `[tpo-order:${orderId}]`;
}

export const secretAad = (tenantId: string) => `tenant:${tenantId}:admin-password`;

/** The CreateTenant task id as OnboardingStepFailed names it (only a vendor task id, a UUID). */
const taskIds = (taskId: string | null | undefined) =>
  taskId && /^[0-9a-f-]{36}$/i.test(taskId) ? [taskId] : undefined;

/**
 * Step 1 on the shared step machinery: the tenant, its virtual Administration Server and the admin
 * account, through the site's Integration Server (type Complete). Exactly once across crashes and
 * takeovers: the sealed password and the intent to call are committed together (one statement fenced
 * by the job's lease) before the call, and the task id right after it (one fenced statement). After
 * an intent without a task id (a crash between the call and its commit) every CreateTenant task
 * started since then must have ended first, then the Integration Server is searched for a tenant
 * carrying this order's marker before creating again; a first try (no intent) creates at once. Vendor errors go through the shared classifier (with the password as
 * a known secret): a permanent answer (e.g. a 400 with a vendor code) fails the step at once with
 * that code; transient ones back off. The step record is the tenant (CreateTenantStepRepository).
 */
@Injectable()
export class CreateTenantJob extends OnboardingStepJob<TenantRecord, CreateTenantStepRepository> {
  readonly step = CREATE_TENANT_STEP;

  constructor(
    steps: CreateTenantStepRepository,
    outbox: OutboxWriter,
    @Inject(LOGGER) logger: Logger,
    private readonly uow: UnitOfWork,
    private readonly timeline: TenantTimelineRepository,
    private readonly secrets: TenantSecretRepository,
    private readonly sites: SiteRepository,
    private readonly cipher: EnvelopeCipher,
    private readonly clients: KasperskyClients,
    @Inject(SERVICE_CONFIG) private readonly config: TenantServiceEnv,
  ) {
    super({ steps, outbox, logger, classify: classifyVendorError });
  }

  protected async execute(work: StepWork<TenantRecord>, signal: AbortSignal, job: StepJobScope): Promise<StepResult> {
    const tenant = work.input;
    const { client } = await this.clients.integrationServer(tenant.siteId);
    let password: string | undefined;
    let phase: 'lookup' | 'create-call' | 'poll' = 'lookup';
    let taskId = tenant.createTaskId;
    try {
      if (!taskId) {
        // Without a recorded intent no earlier try can have called CreateTenant (the intent commits
        // before the call), so there is nothing of ours to find: the create goes ahead without
        // listing the site's tenants (an O(n) XML list per order). A same-named tenant that is not
        // ours makes the task fail with VIRMT_TenantGroupAlreadyExists, handled below.
        const existing = tenant.createIntentAt ? await this.resolveInDoubt(client, tenant) : undefined;
        if (existing) return this.created(tenant, existing);
        const secret = await this.passwordFor(tenant);
        password = secret.password;
        // A new password is sealed and stored with the intent, in one fenced statement before the call.
        await job.write([
          ...(secret.sealed ? [this.secrets.insertStatement(tenant.id, secret.sealed)] : []),
          this.timeline.createIntentStatement(tenant.id, new Date()),
        ]);
        signal.throwIfAborted(); // a lost lease or shutdown: never call after it
        phase = 'create-call';
        const handle = await client.createTenant({
          name: tenant.name,
          description: tenant.request.description,
          userData: [tenant.request.userData, orderMarker(tenant.orderId)].filter(Boolean).join('\n'),
          preferredViisAddress: tenant.request.protection?.integrationServerAddress,
          type: 'Complete',
          vKsc: { name: tenant.adminAccountName, password },
        });
        taskId = handle.taskId;
        await job.write(this.timeline.createTaskStatements(tenant.id, handle.taskId));
      }
      phase = 'poll';
      const task = await client.waitForTask(taskId, { signal, deadlineMs: this.config.CREATE_TASK_DEADLINE_MS });
      const created = task.result?.tenant ?? (await this.findOurs(client, tenant));
      if (!created)
        throw new DomainError('CREATE_RESULT_MISSING', `CreateTenant task ${taskId} completed without a tenant`, {
          retryable: true,
        });
      return this.created(tenant, created);
    } catch (e) {
      if (signal.aborted || e instanceof LeaseLostError) throw e;
      const c = classifyVendorError(e, { knownSecrets: password ? [password] : [] });
      // Transient: the job backs off and resumes (same task id, or the in-doubt lookup); redacted text only.
      if (c.kind === 'transient') throw new DomainError(c.code, c.message, { retryable: true });
      if (e instanceof IsTaskFailedError) {
        if (c.code === 'VIRMT_TenantGroupAlreadyExists') {
          const { ours } = await this.lookUpByName(client, tenant);
          if (ours) return this.created(tenant, ours);
          return failed(
            {
              ...c,
              message: `the Integration Server already has a tenant named "${tenant.name}" that this platform did not create (${c.message})`,
            },
            taskId,
            true,
          );
        }
        if (c.code === 'KSC_ServiceNotConfigured')
          await this.uow.run(() => this.sites.setKscConfigured(tenant.siteId, false));
        // The task is over and rolled back: a retry must create again.
        return failed(c, taskId, true);
      }
      // Refused at the create call itself (e.g. 400 with a vendor code): no task exists, the intent is void.
      return failed(c, taskId, phase === 'create-call' && e instanceof IntegrationServerError);
    }
  }

  /** A give-up keeps the task id (the task may still run): a retry polls it instead of creating again. */
  protected override recordedTaskIds(work: StepWork<TenantRecord>): string[] | undefined {
    return taskIds(work.input.createTaskId);
  }

  /**
   * A previous try recorded its intent but no task id: its CreateTenant call may have reached the
   * server. Wait until every CreateTenant task started since then has ended, then look for ours.
   */
  private async resolveInDoubt(client: IntegrationServerClient, tenant: TenantRecord): Promise<IsTenant | undefined> {
    const since = new Date(tenant.createIntentAt!.getTime() - this.config.CREATE_INTENT_CLOCK_SKEW_MS);
    const tasks = await client.listTasks({ type: 'CreateTenant', createdFrom: since });
    const marker = orderMarker(tenant.orderId);
    const done = tasks.find((t) => t.state === 'Completed' && (t.result?.tenant?.userData ?? '').includes(marker));
    if (done?.result?.tenant) return done.result.tenant;
    const open = tasks.filter((t) => !TERMINAL_STATES.has(t.state));
    if (open.length > 0) {
      this.base.logger.info(
        { tenantId: tenant.id, open: open.map((t) => t.id) },
        'create attempt in doubt: waiting for running CreateTenant tasks before deciding',
      );
      throw new DomainError(
        'CREATE_IN_DOUBT',
        `${open.length} CreateTenant task(s) started since this tenant's create attempt are still running; deciding once they end`,
        {
          retryable: true,
        },
      );
    }
    return this.findOurs(client, tenant);
  }

  /**
   * The stored password, reused after a crash so that the vAS account always matches it; or a new
   * one with its sealed copy, which the caller stores (with the intent) before the first call.
   */
  private async passwordFor(tenant: TenantRecord): Promise<{ password: string; sealed?: SealedSecret }> {
    const secret = await this.secrets.find(tenant.id);
    if (secret?.sealed) return { password: this.cipher.open(secret.sealed, secretAad(tenant.id)) };
    if (secret)
      throw new DomainError('ADMIN_SECRET_DESTROYED', 'the admin password was destroyed before the tenant existed');
    const password = generateAdminPassword();
    return { password, sealed: this.cipher.seal(password, secretAad(tenant.id)) };
  }

  /** Lookup-before-create: a tenant on the IS with our name and our order marker is ours. */
  private async findOurs(client: IntegrationServerClient, tenant: TenantRecord): Promise<IsTenant | undefined> {
    const { ours, sameName } = await this.lookUpByName(client, tenant);
    if (!ours && sameName.length > 0 && tenant.createTaskId === null) {
      throw new DomainError(
        'TENANT_NAME_TAKEN_ON_SITE',
        `the Integration Server already has a tenant named "${tenant.name}" that this platform did not create`,
      );
    }
    return ours;
  }

  /** The IS tenants with our tenant's name, and among them ours (our order marker), if any. */
  private async lookUpByName(
    client: IntegrationServerClient,
    tenant: TenantRecord,
  ): Promise<{ ours?: IsTenant; sameName: IsTenant[] }> {
    const sameName = (await client.listTenants()).filter((t) => t.name === tenant.name);
    return { ours: sameName.find((t) => (t.userData ?? '').includes(orderMarker(tenant.orderId))), sameName };
  }

  private created(tenant: TenantRecord, created: IsTenant): StepResult {
    const virtualServerId = created.vKsc?.id;
    if (!virtualServerId)
      throw new DomainError('VKSC_MISSING', `tenant ${created.id} has no virtual Administration Server`, {
        retryable: true,
      });
    this.base.logger.info({ tenantId: tenant.id, isTenantId: created.id }, 'tenant created on the Integration Server');
    const output: CreateTenantOutput = { integrationServerTenantId: created.id, virtualServerId };
    return {
      ok: true,
      output,
      event: {
        definition: TenantCreated,
        payload: {
          tenantId: tenant.id,
          siteId: tenant.siteId,
          orderId: tenant.orderId,
          tenantName: tenant.name,
          integrationServerTenantId: created.id,
          virtualServerId,
          adminAccountName: tenant.adminAccountName,
          vms: tenant.request.vms,
          protection: tenant.request.protection,
        },
      },
    };
  }
}

/**
 * Ends step 1 as failed. With `taskOver` (the task ended and rolled back, or the server refused the
 * call so none exists) the task id and the intent are cleared with the failure and a retry creates
 * again; otherwise they stay for the next attempt to resume.
 */
function failed(
  c: Extract<VendorFailure, { kind: 'permanent' }>,
  taskId: string | null,
  taskOver: boolean,
): StepResult {
  const reset: CreateTenantProgressReset | undefined = taskOver
    ? { createTaskId: null, createIntentAt: null }
    : undefined;
  return {
    ok: false,
    code: c.code,
    message: c.message,
    retryable: c.retryable,
    output: reset,
    externalTaskIds: taskIds(taskId),
  };
}
