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
import { stepListPage, StepListQuery, StepWorkRepository } from '@tpo/steps';
import { StepWorkResponse } from '@tpo/service-kit';
import { CONFIGURE_SVM_STEP, SvmConfigOutput } from './configure-svm.job';

class SvmConfigDetailResponse extends StepWorkResponse {
  @ApiProperty({ type: 'string', nullable: true, description: 'The vAS display name on the site KSC' })
  virtualServerName: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The SVM / Light Agent policy settings applied',
  })
  applied: Record<string, unknown> | null;
}

/** SVM configuration per tenant: status, attempt, and what was applied on the site's KSC. */
@Controller('v1/svm-configs')
@SiteScoped()
@ApiTags('svm configurations')
export class SvmConfigsHttpController {
  constructor(private readonly steps: StepWorkRepository) {}

  @Get()
  @ApiPageResponse(StepWorkResponse, 'SVM configuration records, newest first')
  async list(@Query() q: StepListQuery, @CurrentPrincipal() principal?: Principal) {
    return stepListPage(await this.steps.list(CONFIGURE_SVM_STEP, { ...q, sites: principal?.sites }), q);
  }

  @Get(':tenantId')
  @ApiNotFoundResponse({ type: ErrorBody, description: 'NOT_FOUND: no SVM configuration for this tenant (yet)' })
  @ApiOkResponse({ type: SvmConfigDetailResponse, description: "The tenant's SVM configuration and what was applied" })
  async get(@Param('tenantId', new ParseUUIDPipe()) tenantId: string, @CurrentPrincipal() principal?: Principal) {
    const record = await this.steps.find<unknown, Partial<SvmConfigOutput>>(tenantId, CONFIGURE_SVM_STEP);
    if (!record || !inSiteScope(principal, record.siteId))
      throw new DomainError(PlatformErrorCode.NotFound, `no SVM configuration for tenant ${tenantId}`);
    const { input: _input, ...rest } = record;
    return {
      ...rest,
      virtualServerName: record.output?.virtualServerName ?? null,
      applied: record.output?.applied ?? null,
    };
  }
}
