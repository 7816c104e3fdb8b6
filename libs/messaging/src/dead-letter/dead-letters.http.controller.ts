import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { DomainError, PageQuery, PlatformErrorCode, RequireRole } from '@tpo/platform';
import { IsIn, IsOptional } from 'class-validator';
import { DeadLetter, DeadLetterRepository, DeadLetterStatus } from './dead-letter.repository';
import { ReplayDeadLetterUseCase } from './replay-dead-letter.use-case';

export class ListDeadLettersQuery extends PageQuery {
  @IsOptional()
  @IsIn(['pending', 'replayed', 'discarded'])
  status?: DeadLetterStatus;
}

/** Dead-lettered events of this service: list, inspect, replay after the cause is fixed. */
@Controller('v1/dead-letters')
export class DeadLettersHttpController {
  constructor(
    private readonly deadLetters: DeadLetterRepository,
    private readonly replayUseCase: ReplayDeadLetterUseCase,
  ) {}

  @Get()
  async list(@Query() q: ListDeadLettersQuery): Promise<{ items: DeadLetter[]; total: number; limit: number; offset: number }> {
    const page = await this.deadLetters.list({ status: q.status, limit: q.limit, offset: q.offset });
    return { ...page, limit: q.limit, offset: q.offset };
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<DeadLetter> {
    const letter = await this.deadLetters.findById(id);
    if (!letter) throw new DomainError(PlatformErrorCode.NotFound, `dead letter ${id} not found`);
    return letter;
  }

  @Post(':id/replay')
  @HttpCode(200)
  @RequireRole('operator')
  replay(@Param('id', new ParseUUIDPipe()) id: string): Promise<DeadLetter> {
    return this.replayUseCase.execute(id);
  }
}
