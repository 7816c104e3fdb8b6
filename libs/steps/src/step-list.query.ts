import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageQuery } from '@tpo/platform';
import { StepWork, StepWorkStatus } from './step-work.repository';

/** Query of the step services' list endpoints (paginated, filter by status and site). */
export class StepListQuery extends PageQuery {
  @IsOptional()
  @IsIn(['pending', 'running', 'succeeded', 'failed'])
  status?: StepWorkStatus;

  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/)
  siteId?: string;
}

/** A page of step records as REST shows it: like the detail view, without the step's input. */
export function stepListPage(page: { items: StepWork[]; total: number }, q: StepListQuery) {
  return {
    items: page.items.map(({ input: _input, ...rest }) => rest),
    total: page.total,
    limit: q.limit,
    offset: q.offset,
  };
}
