import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { DomainError, PlatformErrorCode } from '@tpo/platform';
import { StepListQuery, StepWorkRepository } from '@tpo/service-kit';
import { CONFIGURE_SVM_STEP, SvmConfigOutput } from './configure-svm.job';

/** SVM configuration per tenant: status, attempt, and what was applied on the site's KSC. */
@Controller('v1/svm-configs')
export class SvmConfigsHttpController {
  constructor(private readonly steps: StepWorkRepository) {}

  @Get()
  list(@Query() q: StepListQuery) {
    return this.steps.list(CONFIGURE_SVM_STEP, q);
  }

  @Get(':tenantId')
  async get(@Param('tenantId', new ParseUUIDPipe()) tenantId: string) {
    const record = await this.steps.find<unknown, Partial<SvmConfigOutput>>(tenantId, CONFIGURE_SVM_STEP);
    if (!record) throw new DomainError(PlatformErrorCode.NotFound, `no SVM configuration for tenant ${tenantId}`);
    const { input: _input, ...rest } = record;
    return { ...rest, virtualServerName: record.output?.virtualServerName ?? null, applied: record.output?.applied ?? null };
  }
}
