import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProduces,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import {
  ApiPageResponse,
  CurrentPrincipal,
  DomainError,
  ErrorBody,
  inSiteScope,
  PageQuery,
  PlatformErrorCode,
  Principal,
  RequireRole,
  SiteScoped,
} from '@tpo/platform';
import { RequestReportBody } from './request-report.command';
import { ProtectionReport, ProtectionReportRepository, ReportStatus } from './protection-report.repository';
import { ReportsUseCases } from './reports.use-cases';

const STATUSES: ReportStatus[] = ['pending', 'generating', 'downloading', 'ready', 'failed'];

class ReportListQuery extends PageQuery {
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/)
  siteId?: string;

  @IsOptional()
  @IsIn(STATUSES)
  status?: ReportStatus;
}

export class ProtectionReportResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty() siteId: string;
  @ApiProperty({ format: 'date-time' }) periodFrom: string;
  @ApiProperty({ format: 'date-time' }) periodTo: string;
  @ApiProperty({ enum: ['schedule', 'on-demand'] }) trigger: string;
  @ApiProperty({ nullable: true, type: String, description: 'Who asked (on demand)' }) requestedBy: string | null;
  @ApiProperty({ enum: STATUSES }) status: string;
  @ApiProperty({ type: 'integer', description: 'Bytes downloaded so far' }) bytesDownloaded: number;
  @ApiProperty({ type: 'integer', nullable: true }) bytesTotal: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Protection periods (CSV rows)' }) rows: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Distinct VMs protected in the period' }) protectedVms:
    number | null;
  @ApiProperty({ type: String, nullable: true, description: 'SHA-256 (hex) of the content' }) sha256: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) errorCode: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) errorMessage: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) readyAt: string | null;
}

function view(r: ProtectionReport): ProtectionReportResponse {
  return {
    id: r.id,
    tenantId: r.tenantId,
    siteId: r.siteId,
    periodFrom: r.periodFrom.toISOString(),
    periodTo: r.periodTo.toISOString(),
    trigger: r.trigger,
    requestedBy: r.requestedBy,
    status: r.status,
    bytesDownloaded: r.bytesDownloaded,
    bytesTotal: r.bytesTotal,
    rows: r.rowCount,
    protectedVms: r.protectedVms,
    sha256: r.sha256,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    createdAt: r.createdAt.toISOString(),
    readyAt: r.readyAt ? r.readyAt.toISOString() : null,
  };
}

/**
 * Tenant protection reports (the Integration Server's CSV of protection periods, the provider's
 * billing input). Listing and figures are for every role on the caller's sites; the content is
 * tenant data and needs `operator`.
 */
@ApiTags('reports')
@Controller('v1')
@SiteScoped()
export class ReportsHttpController {
  constructor(
    private readonly useCases: ReportsUseCases,
    private readonly reports: ProtectionReportRepository,
  ) {}

  @Post('tenants/:tenantId/reports')
  @HttpCode(202)
  @RequireRole('operator')
  @ApiAcceptedResponse({
    type: ProtectionReportResponse,
    description:
      'The report of this period (new, running, ready, or a failed one tried again); GET /v1/reports/{id} shows its progress',
  })
  @ApiBadRequestResponse({
    type: ErrorBody,
    description: 'INVALID_INPUT: the period ends in the future or starts after it ends',
  })
  @ApiNotFoundResponse({
    type: ErrorBody,
    description: "NOT_FOUND: no activated tenant with this id on the caller's sites",
  })
  async request(
    @Param('tenantId', new ParseUUIDPipe()) tenantId: string,
    @Body() body: RequestReportBody,
    @CurrentPrincipal() principal?: Principal,
  ) {
    return view(await this.useCases.request({ tenantId, from: body.from, to: body.to, principal }));
  }

  @Get('reports')
  @ApiPageResponse(ProtectionReportResponse, "Reports on the caller's sites, latest period first (figures only)")
  async list(@Query() q: ReportListQuery, @CurrentPrincipal() principal?: Principal) {
    const page = await this.reports.list({ ...q, sites: principal?.sites });
    return { items: page.items.map(view), total: page.total, limit: q.limit, offset: q.offset };
  }

  @Get('reports/:id')
  @ApiOkResponse({ type: ProtectionReportResponse, description: "The report's period, progress and figures" })
  @ApiNotFoundResponse({
    type: ErrorBody,
    description: "NOT_FOUND (also for a report of a site outside the caller's scope)",
  })
  async get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal?: Principal) {
    return view(await this.visible(id, principal));
  }

  @Get('reports/:id/content')
  @RequireRole('operator')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description:
      'The report as the Integration Server wrote it: `tenant ID;tenant name;VM ID;VM name;protected from;protected to` per line',
    schema: { type: 'string' },
  })
  @ApiNotFoundResponse({ type: ErrorBody, description: "NOT_FOUND (also outside the caller's scope)" })
  @ApiConflictResponse({
    type: ErrorBody,
    description: 'INVALID_STATE: still being generated or downloaded, or failed',
  })
  async content(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal?: Principal) {
    const report = await this.visible(id, principal);
    if (report.status !== 'ready')
      throw new DomainError(PlatformErrorCode.InvalidState, `report ${id} is ${report.status}`);
    return new StreamableFile((await this.reports.content(id)) ?? Buffer.alloc(0));
  }

  private async visible(id: string, principal?: Principal): Promise<ProtectionReport> {
    const report = await this.reports.find(id);
    if (!report || !inSiteScope(principal, report.siteId))
      throw new DomainError(PlatformErrorCode.NotFound, `no report ${id}`);
    return report;
  }
}
