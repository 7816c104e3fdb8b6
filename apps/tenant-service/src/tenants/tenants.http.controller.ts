import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { OnboardingRequest, SITE_ID_PATTERN } from '@tpo/contracts';
import { DomainError } from '@tpo/platform';
import type { Request, Response } from 'express';
import { SiteRepository } from '../sites/site.repository';
import { TenantErrorCode } from './tenant-errors';
import { TenantRepository, TenantStatus } from './tenant.repository';
import { tenantDetail, tenantSummary } from './tenant.view';
import { RequestOnboardingUseCase } from './use-cases/request-onboarding.use-case';
import { RetryOnboardingUseCase } from './use-cases/retry-onboarding.use-case';
import { RevealCredentialsUseCase } from './use-cases/reveal-credentials.use-case';

export class ListTenantsQuery {
  @IsOptional()
  @IsIn(['onboarding', 'failed', 'ready'])
  status?: TenantStatus;

  @IsOptional()
  @Matches(SITE_ID_PATTERN)
  siteId?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 20;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset = 0;
}

@Controller('v1/tenants')
export class TenantsHttpController {
  constructor(
    private readonly requestOnboarding: RequestOnboardingUseCase,
    private readonly retryOnboarding: RetryOnboardingUseCase,
    private readonly revealCredentials: RevealCredentialsUseCase,
    private readonly tenants: TenantRepository,
    private readonly sites: SiteRepository,
  ) {}

  /** 202 for a new order; 200 with the same tenant when the order id is already known. */
  @Post()
  async create(@Body() command: OnboardingRequest, @Res({ passthrough: true }) res: Response) {
    const result = await this.requestOnboarding.execute(command, 'rest');
    res.status(result.outcome === 'accepted' ? 202 : 200);
    res.setHeader('Location', `/v1/tenants/${result.tenant.id}`);
    return { ...tenantSummary(result.tenant), duplicate: result.outcome === 'duplicate' };
  }

  @Get()
  async list(@Query() q: ListTenantsQuery) {
    const page = await this.tenants.list({ status: q.status, siteId: q.siteId, limit: q.limit, offset: q.offset });
    return { items: page.items.map(tenantSummary), total: page.total, limit: q.limit, offset: q.offset };
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    const t = await this.tenants.findById(id);
    if (!t) throw new DomainError(TenantErrorCode.TenantNotFound, `tenant ${id} not found`);
    const site = await this.sites.findById(t.siteId);
    return tenantDetail(t, await this.tenants.steps(id), site?.connection.ksc.publicAddress);
  }

  /** Resumes a failed tenant at its failed step (202). */
  @Post(':id/retry')
  @HttpCode(202)
  async retry(@Param('id', new ParseUUIDPipe()) id: string) {
    return tenantSummary(await this.retryOnboarding.execute(id));
  }

  /** Returns the initial admin password exactly once (then 410 Gone), with the advice to change it. */
  @Post(':id/credentials/reveal')
  @HttpCode(200)
  async reveal(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    return this.revealCredentials.execute(id, `ip:${req.ip ?? 'unknown'}`);
  }
}
