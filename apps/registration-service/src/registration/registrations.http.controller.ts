import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { DomainError, PlatformErrorCode } from '@tpo/platform';
import { StepListQuery, StepWorkRepository } from '@tpo/service-kit';

/** Registrations per tenant: status, attempt, and each VM's registration state. */
@Controller('v1/registrations')
export class RegistrationsHttpController {
  constructor(private readonly steps: StepWorkRepository) {}

  @Get()
  list(@Query() q: StepListQuery) {
    return this.steps.list('register-vms', q);
  }

  @Get(':tenantId')
  async get(@Param('tenantId', new ParseUUIDPipe()) tenantId: string) {
    const record = await this.steps.find(tenantId, 'register-vms');
    if (!record) throw new DomainError(PlatformErrorCode.NotFound, `no registration for tenant ${tenantId}`);
    const { input: _input, ...rest } = record;
    return { ...rest, vms: await this.steps.vms(tenantId, 'register-vms') };
  }
}
