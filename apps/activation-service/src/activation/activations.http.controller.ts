import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
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

class SiteLicenseUsage {
  @ApiProperty() siteId: string;
  @ApiProperty({ type: 'integer', description: 'VMs counted against the site license' }) usedVms: number;
}

class LicenseUsageResponse {
  @ApiProperty({ type: SiteLicenseUsage, isArray: true }) items: SiteLicenseUsage[];
}

/** Activations per tenant: license decision, activation task, confirmed status. */
@ApiTags('activations')
@Controller('v1/activations')
@SiteScoped()
export class ActivationsHttpController {
  constructor(private readonly steps: StepWorkRepository) {}

  @Get()
  @ApiPageResponse(StepWorkResponse, "This step's records, newest first")
  async list(@Query() q: StepListQuery, @CurrentPrincipal() principal?: Principal) {
    return stepListPage(await this.steps.list('activate', { ...q, sites: principal?.sites }), q);
  }

  /** VMs counted against each site's license (running or confirmed activations); with the site's licensed VMs this is the headroom. */
  @Get('license-usage')
  @ApiOkResponse({
    type: LicenseUsageResponse,
    description: "Licensed VMs in use per site (sites outside the caller's scope are left out)",
  })
  async licenseUsage(@CurrentPrincipal() principal?: Principal) {
    const usage = await this.steps.sumOutputNumberBySite('activate', 'activeVms');
    return {
      items: usage
        .filter((r) => !principal?.sites || principal.sites.includes(r.siteId))
        .map((r) => ({ siteId: r.siteId, usedVms: r.total })),
    };
  }

  @Get(':tenantId')
  @ApiNotFoundResponse({ type: ErrorBody, description: 'NOT_FOUND: no activation for this tenant (yet)' })
  @ApiOkResponse({ type: StepDetailResponse, description: "The tenant's activation with each VM's state" })
  async get(@Param('tenantId', new ParseUUIDPipe()) tenantId: string, @CurrentPrincipal() principal?: Principal) {
    const record = await this.steps.find(tenantId, 'activate');
    if (!record || !inSiteScope(principal, record.siteId))
      throw new DomainError(PlatformErrorCode.NotFound, `no activation for tenant ${tenantId}`);
    const { input: _input, ...rest } = record;
    return { ...rest, vms: await this.steps.vms(tenantId, 'activate') };
  }
}
