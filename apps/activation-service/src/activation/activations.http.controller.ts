import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { CurrentPrincipal, DomainError, PlatformErrorCode, Principal } from '@tpo/platform';
import { StepListQuery, StepWorkRepository } from '@tpo/service-kit';

/** Activations per tenant: license decision, activation task, confirmed status. */
@Controller('v1/activations')
export class ActivationsHttpController {
  constructor(private readonly steps: StepWorkRepository) {}

  @Get()
  list(@Query() q: StepListQuery) {
    return this.steps.list('activate', q);
  }

  /** VMs counted against each site's license (running or confirmed activations); with the site's licensed VMs this is the headroom. */
  @Get('license-usage')
  async licenseUsage(@CurrentPrincipal() principal?: Principal) {
    const usage = await this.steps.sumOutputNumberBySite('activate', 'activeVms');
    return { items: usage.filter((r) => !principal?.sites || principal.sites.includes(r.siteId)).map((r) => ({ siteId: r.siteId, usedVms: r.total })) };
  }

  @Get(':tenantId')
  async get(@Param('tenantId', new ParseUUIDPipe()) tenantId: string) {
    const record = await this.steps.find(tenantId, 'activate');
    if (!record) throw new DomainError(PlatformErrorCode.NotFound, `no activation for tenant ${tenantId}`);
    const { input: _input, ...rest } = record;
    return { ...rest, vms: await this.steps.vms(tenantId, 'activate') };
  }
}
