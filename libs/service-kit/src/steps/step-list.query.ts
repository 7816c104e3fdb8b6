import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { StepWorkStatus } from './step-work.repository';

/** Query of the step services' list endpoints (paginated, filter by status and site). */
export class StepListQuery {
  @IsOptional()
  @IsIn(['pending', 'running', 'succeeded', 'failed'])
  status?: StepWorkStatus;

  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/)
  siteId?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 20;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset = 0;
}
