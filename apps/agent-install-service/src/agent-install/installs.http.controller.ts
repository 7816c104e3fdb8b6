import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { DomainError, PlatformErrorCode } from '@tpo/platform';
import { StepListQuery, StepWorkRepository } from '@tpo/service-kit';

/** Agent installations per tenant: status, attempt, and each VM's state (pending, installing, installed, failed with reason). */
@Controller('v1/installs')
export class InstallsHttpController {
  constructor(private readonly steps: StepWorkRepository) {}

  @Get()
  list(@Query() q: StepListQuery) {
    return this.steps.list('install-agents', q);
  }

  @Get(':tenantId')
  async get(@Param('tenantId', new ParseUUIDPipe()) tenantId: string) {
    const record = await this.steps.find(tenantId, 'install-agents');
    if (!record) throw new DomainError(PlatformErrorCode.NotFound, `no agent installation for tenant ${tenantId}`);
    const { input: _input, ...rest } = record;
    return { ...rest, vms: await this.steps.vms(tenantId, 'install-agents') };
  }
}
