import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageQuery } from '@tpo/platform';
import { StepWorkStatus } from './step-work.repository';

/** Query of the step services' list endpoints (paginated, filter by status and site). */
export class StepListQuery extends PageQuery {
  @IsOptional()
  @IsIn(['pending', 'running', 'succeeded', 'failed'])
  status?: StepWorkStatus;

  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/)
  siteId?: string;
}
