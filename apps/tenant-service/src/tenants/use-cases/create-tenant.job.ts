import { Inject, Injectable } from '@nestjs/common';
import { OnboardingStepFailed, TenantCreated } from '@tpo/contracts';
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
import { EnvelopeCipher, generateAdminPassword } from '@tpo/secrets';
import { JobContext, JobHandler, JobOutcome, LeaseLostError } from '@tpo/jobs';
import { KasperskyClients } from '@tpo/site-directory';
import { classifyVendorError } from '@tpo/vendor-failures';
import type { Logger } from 'pino';
import { TenantServiceEnv } from '../../config/tenant-service.env';
import { OnboardOperation } from '../../operations/onboard-operation';
import { SiteRepository } from '../../sites/site.repository';
import { TenantSecretRepository } from '../tenant-secret.repository';
import { TenantRecord, TenantRepository } from '../tenant.repository';
import { CREATE_TENANT_JOB } from './request-onboarding.use-case';

/** Marker written into the tenant's userData: how a lookup recognises a tenant we created. */
export function orderMarker(orderId: string): string {
  return `[tpo-order:${orderId}]`;
}

export const secretAad = (tenantId: string) => `tenant:${tenantId}:admin-password`;

/**
 * Step 1: the tenant, its virtual Administration Server and the admin account, through the site's
 * Integration Server (type Complete). Exactly once across crashes and takeovers: the password is
 * sealed and stored before the call; the intent to call is recorded (fenced by the job's lease)
 * before the call and the task id right after it; before any create the Integration Server is
 * searched for a tenant carrying this order's marker, and after an intent without a task id (a
 * crash between the call and its commit) every CreateTenant task started since then must have
 * ended first. Vendor errors go through the shared classifier: a permanent answer (e.g. a 400 with
 * a vendor code) fails the step at once with that code; transient ones back off.
 */
@Injectable()
export class CreateTenantJob implements JobHandler<{ tenantId: string }> {
  readonly kind = CREATE_TENANT_JOB;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly tenants: TenantRepository,
    private readonly secrets: TenantSecretRepository,
    private readonly sites: SiteRepository,
    private readonly outbox: OutboxWriter,
    private readonly cipher: EnvelopeCipher,
    private readonly clients: KasperskyClients,
    private readonly onboard: OnboardOperation,
    @Inject(SERVICE_CONFIG) private readonly config: TenantServiceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(ctx: JobContext<{ tenantId: string }>): Promise<JobOutcome> {
    const tenant = await this.tenants.findById(ctx.job.payload.tenantId);
    if (!tenant || tenant.status !== 'onboarding' || tenant.currentStep !== 'create-tenant') return ctx.succeed();
    const { client } = await this.clients.integrationServer(tenant.siteId);
    let password: string | undefined;
    let phase: 'lookup' | 'create-call' | 'poll' = 'lookup';
    let taskId = tenant.createTaskId;
    try {
      if (!taskId) {
        const existing = tenant.createIntentAt
          ? await this.resolveInDoubt(client, tenant)
          : await this.findOurs(client, tenant);
        if (existing) return this.completed(ctx, tenant, existing);
        password = await this.passwordFor(ctx, tenant);
        await ctx.record(() => this.tenants.update(tenant.id, { createIntentAt: new Date() }));
        ctx.signal.throwIfAborted(); // a lost lease or shutdown: never call after it
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
        await ctx.record(async () => {
          await this.tenants.update(tenant.id, { createTaskId: handle.taskId });
          await this.tenants.addExternalTask(tenant.id, 'create-tenant', handle.taskId);
        });
      }
      phase = 'poll';
      const task = await client.waitForTask(taskId, {
        signal: ctx.signal,
        deadlineMs: this.config.CREATE_TASK_DEADLINE_MS,
      });
      const created = task.result?.tenant ?? (await this.findOurs(client, tenant));
      if (!created)
        throw new DomainError('CREATE_RESULT_MISSING', `CreateTenant task ${taskId} completed without a tenant`, {
          retryable: true,
        });
      return this.completed(ctx, tenant, created);
    } catch (e) {
      if (ctx.signal.aborted || e instanceof LeaseLostError) throw e;
      const c = classifyVendorError(e, { knownSecrets: password ? [password] : [] });
      // Transient: the job backs off and resumes (same task id, or the in-doubt lookup); redacted text only.
      if (c.kind === 'transient') throw new DomainError(c.code, c.message, { retryable: true });
      if (e instanceof IsTaskFailedError) {
        if (c.code === 'VIRMT_TenantGroupAlreadyExists') {
          const ours = await this.findOurs(client, tenant);
          if (ours) return this.completed(ctx, tenant, ours);
        }
        if (c.code === 'KSC_ServiceNotConfigured')
          await this.uow.run(() => this.sites.setKscConfigured(tenant.siteId, false));
        // The task is over and rolled back: a retry must create again.
        return this.fail(ctx, tenant, c, taskId ?? undefined, 'task-over');
      }
      // Refused at the create call itself (e.g. 400 with a vendor code): no task exists, the intent is void.
      const refused = phase === 'create-call' && e instanceof IntegrationServerError;
      return this.fail(ctx, tenant, c, taskId ?? undefined, refused ? 'call-refused' : 'keep');
    }
  }

  async giveUp(ctx: JobContext<{ tenantId: string }>, error: unknown): Promise<JobOutcome> {
    const tenant = await this.tenants.findById(ctx.job.payload.tenantId);
    if (!tenant) return ctx.fail('tenant vanished');
    const c = classifyVendorError(error);
    // The task (if any) may still run: keep its id, so a retry polls it instead of creating again.
    return this.fail(
      ctx,
      tenant,
      { code: c.code, message: c.message, retryable: true },
      tenant.createTaskId ?? undefined,
      'keep',
    );
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
      this.logger.info(
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

  /** Sealed before the first call and reused after a crash: the vAS account always matches it. */
  private async passwordFor(ctx: JobContext<{ tenantId: string }>, tenant: TenantRecord): Promise<string> {
    const secret = await this.secrets.find(tenant.id);
    if (secret?.sealed) return this.cipher.open(secret.sealed, secretAad(tenant.id));
    if (secret)
      throw new DomainError('ADMIN_SECRET_DESTROYED', 'the admin password was destroyed before the tenant existed');
    const password = generateAdminPassword();
    await ctx.record(() => this.secrets.insert(tenant.id, this.cipher.seal(password, secretAad(tenant.id))));
    return password;
  }

  /** Lookup-before-create: a tenant on the IS with our name and our order marker is ours. */
  private async findOurs(client: IntegrationServerClient, tenant: TenantRecord): Promise<IsTenant | undefined> {
    const all = await client.listTenants();
    const sameName = all.filter((t) => t.name === tenant.name);
    const ours = sameName.find((t) => (t.userData ?? '').includes(orderMarker(tenant.orderId)));
    if (!ours && sameName.length > 0 && tenant.createTaskId === null) {
      throw new DomainError(
        'TENANT_NAME_TAKEN_ON_SITE',
        `the Integration Server already has a tenant named "${tenant.name}" that this platform did not create`,
      );
    }
    return ours;
  }

  private completed(
    ctx: JobContext<{ tenantId: string }>,
    tenant: TenantRecord,
    created: IsTenant,
  ): Promise<JobOutcome> {
    if (!created.vKsc?.id)
      throw new DomainError('VKSC_MISSING', `tenant ${created.id} has no virtual Administration Server`, {
        retryable: true,
      });
    return ctx.succeed(async () => {
      await this.tenants.update(tenant.id, {
        isTenantId: created.id,
        virtualServerId: created.vKsc!.id!,
        currentStep: 'configure-svm',
        failure: null,
      });
      await this.tenants.stepSucceeded(tenant.id, 'create-tenant', {
        integrationServerTenantId: created.id,
        virtualServerId: created.vKsc!.id,
      });
      await this.tenants.stepStarted(tenant.id, 'configure-svm');
      await this.outbox.emit(
        TenantCreated,
        {
          tenantId: tenant.id,
          siteId: tenant.siteId,
          orderId: tenant.orderId,
          tenantName: tenant.name,
          integrationServerTenantId: created.id,
          virtualServerId: created.vKsc!.id!,
          adminAccountName: tenant.adminAccountName,
          vms: tenant.request.vms,
          protection: tenant.request.protection,
        },
        { tenantId: tenant.id },
      );
      this.logger.info({ tenantId: tenant.id, isTenantId: created.id }, 'tenant created on the Integration Server');
    });
  }

  /**
   * Ends step 1 as failed. `task-over`: the task ended (rolled back), so its id and the intent are
   * cleared and a retry creates again; `call-refused`: the server refused the call, no task exists;
   * `keep`: a task may still run, its id and the intent stay for the next attempt to resume.
   */
  private fail(
    ctx: JobContext<{ tenantId: string }>,
    tenant: TenantRecord,
    f: { code: string; message: string; retryable: boolean },
    taskId: string | undefined,
    task: 'task-over' | 'call-refused' | 'keep',
  ): Promise<JobOutcome> {
    const { code, message, retryable } = f;
    return ctx.fail(`${code}: ${message}`, async () => {
      const step = await this.tenants.step(tenant.id, 'create-tenant');
      const failure = { step: 'create-tenant' as const, code, message, retryable };
      const clear = task === 'keep' ? {} : { createTaskId: null, createIntentAt: null };
      await this.tenants.update(tenant.id, { status: 'failed', failure, ...clear });
      await this.tenants.stepFailed(tenant.id, failure, step?.attempt ?? 1);
      await this.onboard.failed(tenant.id, failure);
      await this.outbox.emit(
        OnboardingStepFailed,
        {
          tenantId: tenant.id,
          siteId: tenant.siteId,
          step: 'create-tenant',
          code,
          message: message.slice(0, 2000),
          retryable,
          attempt: step?.attempt ?? 1,
          externalTaskIds: taskId && /^[0-9a-f-]{36}$/i.test(taskId) ? [taskId] : undefined,
        },
        { tenantId: tenant.id },
      );
      this.logger.warn({ tenantId: tenant.id, code, retryable }, 'create-tenant step failed');
    });
  }
}
