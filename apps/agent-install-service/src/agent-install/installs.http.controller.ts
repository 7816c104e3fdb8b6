import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  ApiPageResponse,
  CurrentPrincipal,
  DomainError,
  ErrorBody,
  inSiteScope,
  PlatformErrorCode,
  Principal,
  SiteScoped,
} from '@tpo/platform';
import { StepDetailResponse, StepWorkResponse } from '@tpo/service-kit';
import { stepListPage, StepListQuery, StepWorkRepository } from '@tpo/steps';

/** Agent installations per tenant: status, attempt, and each VM's state (pending, installing, installed, failed with reason). */
@ApiTags('agent installations')
@Controller('v1/installs')
@SiteScoped()
export class InstallsHttpController {
  constructor(private readonly steps: StepWorkRepository) {}

  @Get()
  @ApiPageResponse(StepWorkResponse, "This step's records, newest first")
  async list(@Query() q: StepListQuery, @CurrentPrincipal() principal?: Principal) {
    return stepListPage(await this.steps.list('install-agents', { ...q, sites: principal?.sites }), q);
  }

  @Get(':tenantId')
  @ApiNotFoundResponse({ type: ErrorBody, description: 'NOT_FOUND: no agent installation for this tenant (yet)' })
  @ApiOkResponse({ type: StepDetailResponse, description: "The tenant's agent installation with each VM's state" })
  async get(@Param('tenantId', new ParseUUIDPipe()) tenantId: string, @CurrentPrincipal() principal?: Principal) {
    const record = await this.steps.find(tenantId, 'install-agents');
    if (!record || !inSiteScope(principal, record.siteId))
      throw new DomainError(PlatformErrorCode.NotFound, `no agent installation for tenant ${tenantId}`);
    const { input: _input, ...rest } = record;
    return { ...rest, vms: await this.steps.vms(tenantId, 'install-agents') };
  }
}
