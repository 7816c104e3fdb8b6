import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { Throttle } from '@nestjs/throttler';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { OnboardingRequest, SITE_ID_PATTERN } from '@tpo/contracts';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiGoneResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { CurrentPrincipal, DomainError, ErrorBody, PageQuery, Principal, RequireRole, SiteScoped } from '@tpo/platform';
import {
  RevealedCredentialsResponse,
  TenantCreatedResponse,
  TenantDetailResponse,
  TenantPageResponse,
  TenantSummaryResponse,
} from './tenant.response';
import type { FastifyReply } from 'fastify';
import { TenantErrorCode } from './tenant-errors';
import { TenantReadQuery } from './tenant-read.query';
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
@SiteScoped()
@ApiTags('tenants')
export class TenantsHttpController {
  constructor(
    private readonly requestOnboarding: RequestOnboardingUseCase,
    private readonly retryOnboarding: RetryOnboardingUseCase,
    private readonly revealCredentials: RevealCredentialsUseCase,
    private readonly tenants: TenantRepository,
    private readonly reads: TenantReadQuery,
  ) {}

  /** 202 for a new order; 200 with the same tenant when the order id is already known. */
  @Post()
  @RequireRole('admin')
  @ApiAcceptedResponse({
    type: TenantCreatedResponse,
    description: 'A new order: onboarding starts (Location: /v1/tenants/{id})',
  })
  @ApiOkResponse({
    type: TenantCreatedResponse,
    description: 'The order id is already known: the same tenant (duplicate: true)',
  })
  @ApiConflictResponse({ type: ErrorBody, description: 'TENANT_NAME_TAKEN, ADMIN_ACCOUNT_TAKEN or NO_SITE_CAPACITY' })
  @ApiUnprocessableEntityResponse({ type: ErrorBody, description: 'SITE_UNKNOWN (siteId names no registered site)' })
  async create(
    @Body() command: OnboardingRequest,
    @Res({ passthrough: true }) res: FastifyReply,
    @CurrentPrincipal() principal?: Principal,
  ) {
    const result = await this.requestOnboarding.execute(command, { requester: 'order:rest', sites: principal?.sites });
    void res.status(result.outcome === 'accepted' ? 202 : 200);
    void res.header('Location', `/v1/tenants/${result.tenant.id}`);
    return { ...tenantSummary(result.tenant), duplicate: result.outcome === 'duplicate' };
  }

  @Get()
  @ApiOkResponse({ type: TenantPageResponse, description: 'Tenants visible to the caller, newest first' })
  async list(
    @Query() q: ListTenantsQuery,
    @Res({ passthrough: true }) res: FastifyReply,
    @CurrentPrincipal() principal?: Principal,
  ) {
    if (q.siteId && !inScope(principal, q.siteId)) return { items: [], total: 0, limit: q.limit, offset: q.offset };
    // The answer's JSON text as the read query built it (tenantSummary's fields), sent as it is.
    void res.type('application/json; charset=utf-8');
    return this.reads.pageJson({
      status: q.status,
      siteId: q.siteId,
      sites: principal?.sites,
      limit: q.limit,
      offset: q.offset,
    });
  }

  @Get(':id')
  @ApiNotFoundResponse({
    type: ErrorBody,
    description: "TENANT_NOT_FOUND (also for a tenant of a site outside the caller's scope)",
  })
  @ApiOkResponse({
    type: TenantDetailResponse,
    description: 'The tenant with its step timeline, vAS and password state',
  })
  async get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal?: Principal) {
    const d = await this.reads.find(id);
    if (!d || !inScope(principal, d.tenant.siteId))
      throw new DomainError(TenantErrorCode.TenantNotFound, `tenant ${id} not found`);
    return tenantDetail(d.tenant, d.steps, d.kscPublicAddress, d.secret);
  }

  /** Resumes a failed tenant at its failed step (202). */
  @Post(':id/retry')
  @ApiNotFoundResponse({
    type: ErrorBody,
    description: "TENANT_NOT_FOUND (also for a tenant of a site outside the caller's scope)",
  })
  @HttpCode(202)
  @RequireRole('operator')
  @ApiAcceptedResponse({ type: TenantSummaryResponse, description: 'Resumed at the failed step' })
  @ApiConflictResponse({ type: ErrorBody, description: 'TENANT_NOT_FAILED' })
  async retry(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal?: Principal) {
    await this.visible(id, principal);
    return tenantSummary(await this.retryOnboarding.execute(id));
  }

  /** Returns the initial admin password exactly once (then 410 Gone), with the advice to change it. Audited. */
  @Post(':id/credentials/reveal')
  @ApiNotFoundResponse({
    type: ErrorBody,
    description: "TENANT_NOT_FOUND (also for a tenant of a site outside the caller's scope)",
  })
  @HttpCode(200)
  @RequireRole('admin')
  @Throttle({ default: { limit: 10, ttl: 60_000 } })
  @ApiOkResponse({
    type: RevealedCredentialsResponse,
    description: 'The initial password, once (Cache-Control: no-store)',
  })
  @ApiConflictResponse({ type: ErrorBody, description: 'TENANT_NOT_READY' })
  @ApiGoneResponse({ type: ErrorBody, description: 'CREDENTIALS_GONE: already revealed, or the reveal window expired' })
  async reveal(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Res({ passthrough: true }) res: FastifyReply,
    @CurrentPrincipal() principal?: Principal,
  ) {
    await this.visible(id, principal);
    void res.header('Cache-Control', 'no-store');
    return this.revealCredentials.execute(id, principal?.subject ?? 'unknown');
  }

  private async visible(id: string, principal: Principal | undefined): Promise<TenantRecord> {
    const t = await this.tenants.findById(id);
    if (!t || !inScope(principal, t.siteId))
      throw new DomainError(TenantErrorCode.TenantNotFound, `tenant ${id} not found`);
    return t;
  }
}
