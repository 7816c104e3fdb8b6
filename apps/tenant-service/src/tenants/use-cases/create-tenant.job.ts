import { Inject, Injectable } from '@nestjs/common';
import { OnboardingStepFailed, TenantCreated } from '@tpo/contracts';
import { IntegrationServerClient, IsTaskFailedError, IsTenant } from '@tpo/integration-server-client';
import { OutboxWriter } from '@tpo/messaging';
import { DomainError } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { EnvelopeCipher, generateAdminPassword } from '@tpo/secrets';
import { JobContext, JobHandler, JobOutcome, LOGGER, SERVICE_CONFIG } from '@tpo/service-kit';
import { KasperskyClients } from '@tpo/site-directory';
import type { Logger } from 'pino';
import { TenantServiceEnv } from '../../config/tenant-service.env';
import { SiteRepository } from '../../sites/site.repository';
import { TenantSecretRepository } from '../tenant-secret.repository';
import { TenantRecord, TenantRepository } from '../tenant.repository';
import { CREATE_TENANT_JOB } from './request-onboarding.use-case';

/** Marker written into the tenant's userData: how a lookup recognises a tenant we created. */
export function orderMarker(orderId: string): string {
  return `[tpo-order:${orderId}]`;
}

export const secretAad = (tenantId: string) => `tenant:${tenantId}:admin-password`;

/** Codes after which a retry cannot help without someone changing something first. */
const NOT_RETRYABLE = new Set(['VIRMT_TenantGroupAlreadyExists', 'VIRMT_InvalidTenantType', 'VIRMT_MandatoryParameterIsNotSpecified', 'TENANT_NAME_TAKEN_ON_SITE']);

/**
 * Step 1: the tenant, its virtual Administration Server and the admin account, through the site's
 * Integration Server (type Complete). Idempotent across crashes: the password is sealed and stored
 * before the call, the task id is stored before polling, and before any create the Integration
 * Server is searched for a tenant carrying this order's marker.
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
    @Inject(SERVICE_CONFIG) private readonly config: TenantServiceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(ctx: JobContext<{ tenantId: string }>): Promise<JobOutcome> {
    const tenant = await this.tenants.findById(ctx.job.payload.tenantId);
    if (!tenant || tenant.status !== 'onboarding' || tenant.currentStep !== 'create-tenant') return ctx.succeed();
    const { client } = await this.clients.integrationServer(tenant.siteId);

    let taskId = tenant.createTaskId;
    if (!taskId) {
      const existing = await this.findOurs(client, tenant);
      if (existing) return this.completed(ctx, tenant, existing);
      const password = await this.passwordFor(tenant);
      const handle = await client.createTenant({
        name: tenant.name,
        description: tenant.request.description,
        userData: [tenant.request.userData, orderMarker(tenant.orderId)].filter(Boolean).join('\n'),
        preferredViisAddress: tenant.request.protection?.integrationServerAddress,
        type: 'Complete',
        vKsc: { name: tenant.adminAccountName, password },
      });
      taskId = handle.taskId;
      await this.uow.run(async () => {
        await this.tenants.update(tenant.id, { createTaskId: taskId });
        await this.tenants.addExternalTask(tenant.id, 'create-tenant', handle.taskId);
      });
    }
    try {
      const task = await client.waitForTask(taskId, { signal: ctx.signal, deadlineMs: this.config.CREATE_TASK_DEADLINE_MS });
      const created = task.result?.tenant ?? (await this.findOurs(client, tenant));
      if (!created) throw new DomainError('CREATE_RESULT_MISSING', `CreateTenant task ${taskId} completed without a tenant`, { retryable: true });
      return this.completed(ctx, tenant, created);
    } catch (e) {
      if (!(e instanceof IsTaskFailedError)) throw e; // transient: the job retries, polling the same task
      const code = e.code ?? 'UNKNOWN';
      if (code === 'VIRMT_TenantGroupAlreadyExists') {
        const ours = await this.findOurs(client, tenant);
        if (ours) return this.completed(ctx, tenant, ours);
      }
      if (code === 'KSC_ServiceNotConfigured') await this.uow.run(() => this.sites.setKscConfigured(tenant.siteId, false));
      return this.fail(ctx, tenant, code, e.task.error?.message ?? e.message, !NOT_RETRYABLE.has(code), taskId);
    }
  }

  async giveUp(ctx: JobContext<{ tenantId: string }>, error: unknown): Promise<JobOutcome> {
    const tenant = await this.tenants.findById(ctx.job.payload.tenantId);
    if (!tenant) return ctx.fail('tenant vanished');
    const code = error instanceof DomainError ? error.code : 'CREATE_TENANT_UNAVAILABLE';
    return this.fail(ctx, tenant, code, error instanceof Error ? error.message : String(error), !NOT_RETRYABLE.has(code), tenant.createTaskId ?? undefined);
  }

  /** Sealed before the first call and reused after a crash: the vAS account always matches it. */
  private async passwordFor(tenant: TenantRecord): Promise<string> {
    const secret = await this.secrets.find(tenant.id);
    if (secret?.sealed) return this.cipher.open(secret.sealed, secretAad(tenant.id));
    if (secret) throw new DomainError('ADMIN_SECRET_DESTROYED', 'the admin password was destroyed before the tenant existed');
    const password = generateAdminPassword();
    await this.uow.run(() => this.secrets.insert(tenant.id, this.cipher.seal(password, secretAad(tenant.id))));
    return password;
  }

  /** Lookup-before-create: a tenant on the IS with our name and our order marker is ours. */
  private async findOurs(client: IntegrationServerClient, tenant: TenantRecord): Promise<IsTenant | undefined> {
    const all = await client.listTenants();
    const sameName = all.filter((t) => t.name === tenant.name);
    const ours = sameName.find((t) => (t.userData ?? '').includes(orderMarker(tenant.orderId)));
    if (!ours && sameName.length > 0 && tenant.createTaskId === null) {
      throw new DomainError('TENANT_NAME_TAKEN_ON_SITE', `the Integration Server already has a tenant named "${tenant.name}" that this platform did not create`);
    }
    return ours;
  }

  private completed(ctx: JobContext<{ tenantId: string }>, tenant: TenantRecord, created: IsTenant): Promise<JobOutcome> {
    if (!created.vKsc?.id) throw new DomainError('VKSC_MISSING', `tenant ${created.id} has no virtual Administration Server`, { retryable: true });
    return ctx.succeed(async () => {
      await this.tenants.update(tenant.id, { isTenantId: created.id, virtualServerId: created.vKsc!.id!, currentStep: 'configure-svm', failure: null });
      await this.tenants.stepSucceeded(tenant.id, 'create-tenant', { integrationServerTenantId: created.id, virtualServerId: created.vKsc!.id });
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

  private fail(ctx: JobContext<{ tenantId: string }>, tenant: TenantRecord, code: string, message: string, retryable: boolean, taskId?: string): Promise<JobOutcome> {
    return ctx.fail(`${code}: ${message}`, async () => {
      const step = await this.tenants.step(tenant.id, 'create-tenant');
      const failure = { step: 'create-tenant' as const, code, message, retryable };
      // A failed task rolled everything back: a retry must create again, so the task id is cleared.
      await this.tenants.update(tenant.id, { status: 'failed', failure, createTaskId: null });
      await this.tenants.stepFailed(tenant.id, failure, step?.attempt ?? 1);
      await this.outbox.emit(
        OnboardingStepFailed,
        { tenantId: tenant.id, siteId: tenant.siteId, step: 'create-tenant', code, message: message.slice(0, 2000), retryable, attempt: step?.attempt ?? 1, externalTaskIds: taskId && /^[0-9a-f-]{36}$/i.test(taskId) ? [taskId] : undefined },
        { tenantId: tenant.id },
      );
    });
  }
}
