import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiPageResponse, DomainError, ErrorBody, PageQuery, PlatformErrorCode, RequireRole } from '@tpo/platform';
import { IsIn, IsOptional } from 'class-validator';
import { DeadLetter, DeadLetterRepository, DeadLetterStatus } from './dead-letter.repository';
import { ReplayDeadLetterUseCase } from './replay-dead-letter.use-case';
import { DeadLetterResponse } from './dead-letter.response';

export class ListDeadLettersQuery extends PageQuery {
  @IsOptional()
  @IsIn(['pending', 'replayed', 'discarded'])
  status?: DeadLetterStatus;
}

/** Dead-lettered events of this service: list, inspect, replay after the cause is fixed. */
@Controller('v1/dead-letters')
@ApiTags('dead letters')
export class DeadLettersHttpController {
  constructor(
    private readonly deadLetters: DeadLetterRepository,
    private readonly replayUseCase: ReplayDeadLetterUseCase,
  ) {}

  @Get()
  @ApiPageResponse(DeadLetterResponse, 'Dead letters of this service, newest first')
  async list(
    @Query() q: ListDeadLettersQuery,
  ): Promise<{ items: DeadLetter[]; total: number; limit: number; offset: number }> {
    const page = await this.deadLetters.list({ status: q.status, limit: q.limit, offset: q.offset });
    return { ...page, limit: q.limit, offset: q.offset };
  }

  @Get(':id')
  @ApiNotFoundResponse({ type: ErrorBody, description: 'NOT_FOUND' })
  @ApiOkResponse({ type: DeadLetterResponse, description: 'One dead letter' })
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<DeadLetter> {
    const letter = await this.deadLetters.findById(id);
    if (!letter) throw new DomainError(PlatformErrorCode.NotFound, `dead letter ${id} not found`);
    return letter;
  }

  @Post(':id/replay')
  @ApiNotFoundResponse({ type: ErrorBody, description: 'NOT_FOUND' })
  @ApiOkResponse({ type: DeadLetterResponse, description: 'The dead letter, now replayed' })
  @ApiConflictResponse({
    type: ErrorBody,
    description:
      'Not pending (already replayed or discarded), no handler, or the replay failed (details.reason; recorded as lastReplayError)',
  })
  @HttpCode(200)
  @RequireRole('operator')
  replay(@Param('id', new ParseUUIDPipe()) id: string): Promise<DeadLetter> {
    return this.replayUseCase.execute(id);
  }
}
