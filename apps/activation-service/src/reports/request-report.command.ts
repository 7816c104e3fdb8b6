import { IsISO8601, IsOptional } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';

/** On-demand report: the period defaults to the last REPORT_PERIOD_SECONDS up to now (whole seconds). */
export class RequestReportBody {
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Period start (UTC); default: `to` minus REPORT_PERIOD_SECONDS',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Period end (UTC), not in the future; default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}
