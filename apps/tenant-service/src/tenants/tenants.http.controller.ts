import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { Throttle } from '@nestjs/throttler';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { OnboardingRequest, SITE_ID_PATTERN } from '@tpo/contracts';
import { CurrentPrincipal, DomainError, PageQuery, Principal, RequireRole } from '@tpo/platform';
import type { Response } from 'express';
import { SiteRepository } from '../sites/site.repository';
import { TenantErrorCode } from './tenant-errors';
import { TenantSecretRepository } from './tenant-secret.repository';
import { TenantRecord, TenantRepository, TenantStatus } from './tenant.repository';
import { tenantDetail, tenantSummary } from './tenant.view';
import { RequestOnboardingUseCase } from './use-cases/request-onboarding.use-case';
import { RetryOnboardingUseCase } from './use-cases/retry-onboarding.use-case';
import { RevealCredentialsUseCase } from './use-cases/reveal-credentials.use-case';

export class ListTenantsQuery extends PageQuery {
  @IsOptional()
  @IsIn(['onboarding', 'failed', 'ready'])
  status?: TenantStatus;

  @IsOptional()
  @Matches(SITE_ID_PATTERN)
  siteId?: string;
}

/** API1 (BOLA): a principal limited to some sites sees other sites' tenants as not found. */
function inScope(principal: Principal | undefined, siteId: string): boolean {
  return !principal?.sites || principal.sites.includes(siteId);
}

@Controller('v1/tenants')
export class TenantsHttpController {
  constructor(
    private readonly requestOnboarding: RequestOnboardingUseCase,
    private readonly retryOnboarding: RetryOnboardingUseCase,
    private readonly revealCredentials: RevealCredentialsUseCase,
    private readonly tenants: TenantRepository,
    private readonly sites: SiteRepository,
    private readonly secrets: TenantSecretRepository,
  ) {}

  /** 202 for a new order; 200 with the same tenant when the order id is already known. */
  @Post()
  @RequireRole('admin')
  async create(@Body() command: OnboardingRequest, @Res({ passthrough: true }) res: Response) {
    const result = await this.requestOnboarding.execute(command, 'rest');
    res.status(result.outcome === 'accepted' ? 202 : 200);
    res.setHeader('Location', `/v1/tenants/${result.tenant.id}`);
    return { ...tenantSummary(result.tenant), duplicate: result.outcome === 'duplicate' };
  }

  @Get()
  async list(@Query() q: ListTenantsQuery, @CurrentPrincipal() principal?: Principal) {
    if (q.siteId && !inScope(principal, q.siteId)) return { items: [], total: 0, limit: q.limit, offset: q.offset };
    const page = await this.tenants.list({ status: q.status, siteId: q.siteId, sites: principal?.sites, limit: q.limit, offset: q.offset });
    return { items: page.items.map(tenantSummary), total: page.total, limit: q.limit, offset: q.offset };
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal?: Principal) {
    const t = await this.visible(id, principal);
    const site = await this.sites.findById(t.siteId);
    return tenantDetail(t, await this.tenants.steps(id), site?.connection.ksc.publicAddress, await this.secrets.find(id));
  }

  /** Resumes a failed tenant at its failed step (202). */
  @Post(':id/retry')
  @HttpCode(202)
  @RequireRole('operator')
  async retry(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal?: Principal) {
    await this.visible(id, principal);
    return tenantSummary(await this.retryOnboarding.execute(id));
  }

  /** Returns the initial admin password exactly once (then 410 Gone), with the advice to change it. Audited. */
  @Post(':id/credentials/reveal')
  @HttpCode(200)
  @RequireRole('admin')
  @Throttle({ default: { limit: 10, ttl: 60_000 } })
  async reveal(@Param('id', new ParseUUIDPipe()) id: string, @Res({ passthrough: true }) res: Response, @CurrentPrincipal() principal?: Principal) {
    await this.visible(id, principal);
    res.setHeader('Cache-Control', 'no-store');
    return this.revealCredentials.execute(id, principal?.subject ?? 'unknown');
  }

  private async visible(id: string, principal: Principal | undefined): Promise<TenantRecord> {
    const t = await this.tenants.findById(id);
    if (!t || !inScope(principal, t.siteId)) throw new DomainError(TenantErrorCode.TenantNotFound, `tenant ${id} not found`);
    return t;
  }
}
