import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { formatValidationErrors, OnboardingRequest, TenantRequestDuplicate } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { DomainError, PlatformErrorCode } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { JobRepository } from '@tpo/service-kit';
import { OnboardOperation } from '../../operations/onboard-operation';
import { TenantVmRepository } from '../../operations/tenant-vm.repository';
import { chooseSite } from '../../sites/placement';
import { SiteRepository } from '../../sites/site.repository';
import { TenantErrorCode } from '../tenant-errors';
import { TenantRecord, TenantRepository } from '../tenant.repository';

export const CREATE_TENANT_JOB = 'create-tenant';

export type OnboardingOutcome = { outcome: 'accepted' | 'duplicate'; tenant: TenantRecord };

/**
 * Intake, the same for `POST /v1/tenants` and `TenantRequested`: validate, deduplicate by order id,
 * check names, place on a site, record the tenant and queue step 1 — one transaction.
 */
@Injectable()
export class RequestOnboardingUseCase {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tenants: TenantRepository,
    private readonly sites: SiteRepository,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
    private readonly onboard: OnboardOperation,
    private readonly vms: TenantVmRepository,
  ) {}

  /** `scope.sites`: a site-scoped caller places only on, and sees only, its own sites. */
  async execute(input: OnboardingRequest, origin: 'rest' | 'bus', scope: { sites?: string[] } = {}): Promise<OnboardingOutcome> {
    const request = plainToInstance(OnboardingRequest, input);
    const errors = formatValidationErrors(validateSync(request, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }));
    if (errors.length > 0) throw new DomainError(PlatformErrorCode.InvalidInput, 'invalid onboarding request', { details: { fields: errors } });
    try {
      return await this.uow.runIsolated(() => this.accept(request, origin, scope));
    } catch (e) {
      // A concurrent intake of the same order won the race on the unique order id.
      if ((e as { code?: string }).code === '23505' && String((e as { constraint?: string }).constraint) === 'tenant_order_uq') {
        const tenant = await this.tenants.findByOrderId(request.orderId);
        if (tenant) return this.duplicate(request.orderId, tenant, origin, scope);
      }
      if ((e as { code?: string }).code === '23505') throw this.conflict(String((e as { constraint?: string }).constraint));
      throw e;
    }
  }

  private async accept(request: OnboardingRequest, origin: 'rest' | 'bus', scope: { sites?: string[] }): Promise<OnboardingOutcome> {
    const existing = await this.tenants.findByOrderId(request.orderId);
    if (existing) return this.duplicate(request.orderId, existing, origin, scope);
    const conflicts = await this.tenants.findConflicts(request.tenantName, request.adminAccountName);
    if (conflicts.nameTaken) throw this.conflict('tenant_name_uq', request.tenantName);
    if (conflicts.accountTaken) throw this.conflict('tenant_admin_account_uq', request.adminAccountName);

    const inScope = (id: string) => !scope.sites || scope.sites.includes(id);
    const candidates = (await this.sites.lockEligibleWithUsage()).filter((c) => inScope(c.site.id));
    // Sites outside the caller's scope are as good as unknown to it.
    const known = (await this.sites.list()).map((s) => s.id).filter(inScope);
    const placement = chooseSite(
      candidates.map((c) => ({ id: c.site.id, maxVirtualServers: c.site.maxVirtualServers, placed: c.placed, foreign: c.foreign, preflightFailed: c.preflightFailed })),
      request.preferredSiteId,
      known,
    );
    if ('rejected' in placement) {
      throw new DomainError(placement.rejected === 'SITE_UNKNOWN' ? TenantErrorCode.SiteUnknown : TenantErrorCode.NoSiteCapacity, placement.reason);
    }
    const id = randomUUID();
    await this.tenants.insert({ id, orderId: request.orderId, name: request.tenantName, adminAccountName: request.adminAccountName, siteId: placement.siteId, request });
    await this.onboard.started(id, request.orderId, `order:${origin}`);
    await this.vms.insert(id, request.vms, 'active');
    await this.jobs.enqueue(CREATE_TENANT_JOB, id, { tenantId: id }, placement.siteId);
    return { outcome: 'accepted', tenant: (await this.tenants.findById(id))! };
  }

  /**
   * The order is known already: announced on the bus whichever way the duplicate was detected (a
   * lookup, or losing the race on the unique order id to a concurrent intake of the same order).
   */
  private async duplicate(orderId: string, tenant: TenantRecord, origin: 'rest' | 'bus', scope: { sites?: string[] } = {}): Promise<OnboardingOutcome> {
    // An order id already used on a site the caller cannot see: a conflict, without the tenant.
    if (scope.sites && !scope.sites.includes(tenant.siteId)) throw new DomainError(PlatformErrorCode.Conflict, `order id ${orderId} is already in use`);
    if (origin === 'bus') await this.outbox.emit(TenantRequestDuplicate, { orderId, tenantId: tenant.id }, { tenantId: tenant.id });
    return { outcome: 'duplicate', tenant };
  }

  private conflict(constraint: string, value?: string): DomainError {
    if (constraint === 'tenant_name_uq') return new DomainError(TenantErrorCode.TenantNameTaken, `a tenant named "${value ?? ''}" already exists`.replace(' ""', ''));
    if (constraint === 'tenant_admin_account_uq') {
      return new DomainError(TenantErrorCode.AdminAccountTaken, `admin account name "${value ?? ''}" is already used by another tenant (names are unique across a KSC and its virtual servers)`);
    }
    return new DomainError(PlatformErrorCode.Conflict, 'conflicting tenant');
  }
}
