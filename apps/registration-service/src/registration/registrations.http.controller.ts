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

/** Registrations per tenant: status, attempt, and each VM's registration state. */
@ApiTags('registrations')
@Controller('v1/registrations')
@SiteScoped()
export class RegistrationsHttpController {
  constructor(private readonly steps: StepWorkRepository) {}

  @Get()
  @ApiPageResponse(StepWorkResponse, "This step's records, newest first")
  async list(@Query() q: StepListQuery, @CurrentPrincipal() principal?: Principal) {
    return stepListPage(await this.steps.list('register-vms', { ...q, sites: principal?.sites }), q);
  }

  @Get(':tenantId')
  @ApiNotFoundResponse({ type: ErrorBody, description: 'NOT_FOUND: no registration for this tenant (yet)' })
  @ApiOkResponse({ type: StepDetailResponse, description: "The tenant's registration with each VM's state" })
  async get(@Param('tenantId', new ParseUUIDPipe()) tenantId: string, @CurrentPrincipal() principal?: Principal) {
    const record = await this.steps.find(tenantId, 'register-vms');
    if (!record || !inSiteScope(principal, record.siteId))
      throw new DomainError(PlatformErrorCode.NotFound, `no registration for tenant ${tenantId}`);
    const { input: _input, ...rest } = record;
    return { ...rest, vms: await this.steps.vms(tenantId, 'register-vms') };
  }
}
