import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { formatValidationErrors, OnboardingRequest } from '@tpo/contracts';
import { DomainError, PlatformErrorCode } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { JobEnqueuer } from '@tpo/jobs';
import { OnboardOperation } from '../../operations/onboard-operation';
import { TenantVmRepository } from '../../operations/tenant-vm.repository';
import { chooseSite } from '../../sites/placement';
import { SiteRepository } from '../../sites/site.repository';
import { CREATE_TENANT_STEP } from '../create-tenant-step.repository';
import { adminAccountTaken, DuplicateOrderError, TenantErrorCode, tenantNameTaken } from '../tenant-errors';
import { TenantRecord, TenantRepository } from '../tenant.repository';

/** Step 1's job kind: the step's name, as for every step job (OnboardingStepJob.kind). */
export const CREATE_TENANT_JOB = CREATE_TENANT_STEP;

export type OnboardingOutcome = { outcome: 'accepted' | 'duplicate'; tenant: TenantRecord };

export interface OnboardingCaller {
  /** Who asked, recorded on the onboard operation (e.g. `order:rest`, `order:bus`). */
  requester: string;
  /** A site-scoped caller places only on, and sees only, its own sites. */
  sites?: string[];
}

/**
 * Intake, the same for `POST /v1/tenants` and `TenantRequested`: validate, deduplicate by order id,
 * check names, place on a site, record the tenant and queue step 1 — one transaction. A known order
 * is the outcome `duplicate` (however it was detected); announcing it is the transport's business.
 */
@Injectable()
export class RequestOnboardingUseCase {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tenants: TenantRepository,
    private readonly sites: SiteRepository,
    private readonly jobs: JobEnqueuer,
    private readonly onboard: OnboardOperation,
    private readonly vms: TenantVmRepository,
  ) {}

  async execute(input: OnboardingRequest, caller: OnboardingCaller): Promise<OnboardingOutcome> {
    const request = plainToInstance(OnboardingRequest, input);
    const errors = formatValidationErrors(
      validateSync(request, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }),
    );
    if (errors.length > 0)
      throw new DomainError(PlatformErrorCode.InvalidInput, 'invalid onboarding request', {
        details: { fields: errors },
      });
    try {
      return await this.uow.runIsolated(() => this.accept(request, caller));
    } catch (e) {
      // A concurrent intake of the same order won the race on the unique order id.
      if (!(e instanceof DuplicateOrderError)) throw e;
      const tenant = await this.tenants.findByOrderId(request.orderId);
      if (!tenant) throw e;
      return this.duplicate(request.orderId, tenant, caller);
    }
  }

  private async accept(request: OnboardingRequest, caller: OnboardingCaller): Promise<OnboardingOutcome> {
    const conflicts = await this.tenants.findOrderOrConflicts(
      request.orderId,
      request.tenantName,
      request.adminAccountName,
    );
    if (conflicts.existing) return this.duplicate(request.orderId, conflicts.existing, caller);
    if (conflicts.nameTaken) throw tenantNameTaken(request.tenantName);
    if (conflicts.accountTaken) throw adminAccountTaken(request.adminAccountName);

    const inScope = (id: string) => !caller.sites || caller.sites.includes(id);
    const candidates = (await this.sites.lockEligibleWithUsage()).filter((c) => inScope(c.site.id));
    // Placement asks only whether a preferred site is registered: an eligible candidate is; any other is read.
    // Sites outside the caller's scope are as good as unknown to it.
    const preferred = request.preferredSiteId;
    const known =
      preferred && !candidates.some((c) => c.site.id === preferred)
        ? (await this.sites.ids()).filter(inScope)
        : candidates.map((c) => c.site.id);
    const placement = chooseSite(
      candidates.map((c) => ({
        id: c.site.id,
        maxVirtualServers: c.site.maxVirtualServers,
        placed: c.placed,
        foreign: c.foreign,
        preflightFailed: c.preflightFailed,
      })),
      request.preferredSiteId,
      known,
    );
    if ('rejected' in placement) {
      throw new DomainError(
        placement.rejected === 'SITE_UNKNOWN' ? TenantErrorCode.SiteUnknown : TenantErrorCode.NoSiteCapacity,
        placement.reason,
      );
    }
    const id = randomUUID();
    // Step 1's job is inserted already claimed by this replica's runner when it has a slot, and
    // handed to it once the intake commits (no NOTIFY, no claim); otherwise pending, claimed as usual.
    const job = this.jobs.prepare(CREATE_TENANT_JOB, id, { tenantId: id }, placement.siteId);
    let inserted = 0;
    try {
      // The tenant, its timeline, the onboard operation, its VMs and step 1's job: one statement.
      const { tenant, written } = await this.tenants.insertWith(
        {
          id,
          orderId: request.orderId,
          name: request.tenantName,
          adminAccountName: request.adminAccountName,
          siteId: placement.siteId,
          request,
        },
        (gate) => [
          this.onboard.startedLink(id, request.orderId, caller.requester, gate),
          ...[this.vms.insertLink(id, request.vms, 'active', gate) ?? []].flat(),
          job.link(gate),
        ],
      );
      inserted = written.job;
      return { outcome: 'accepted', tenant };
    } finally {
      job.settle(inserted);
    }
  }

  /** The order is known already (a lookup, or losing the race on the unique order id). */
  private duplicate(orderId: string, tenant: TenantRecord, caller: OnboardingCaller): OnboardingOutcome {
    // An order id already used on a site the caller cannot see: a conflict, without the tenant.
    if (caller.sites && !caller.sites.includes(tenant.siteId))
      throw new DomainError(PlatformErrorCode.Conflict, `order id ${orderId} is already in use`);
    return { outcome: 'duplicate', tenant };
  }
}
