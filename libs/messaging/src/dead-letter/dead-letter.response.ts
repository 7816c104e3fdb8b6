import { ApiProperty } from '@nestjs/swagger';
import { DeadLetter, DeadLetterStatus } from './dead-letter.repository';

const nullable = { nullable: true } as const;

/** A dead-lettered event as REST shows it (the same shape as the repository's DeadLetter). */
export class DeadLetterResponse implements DeadLetter {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'The durable consumer that gave up', example: 'tenant-service--step-completed' })
  consumer: string;
  @ApiProperty({ example: 'tpo.evt.step-completed.v1' }) subject: string;
  @ApiProperty({ type: 'integer', ...nullable }) streamSeq: number | null;
  @ApiProperty({ type: 'string', format: 'uuid', ...nullable }) eventId: string | null;
  @ApiProperty({ type: 'string', ...nullable }) eventType: string | null;
  @ApiProperty({ type: 'string', format: 'uuid', ...nullable }) tenantId: string | null;
  @ApiProperty({ description: 'Why the event could not be processed' }) reason: string;
  @ApiProperty({ type: 'integer' }) deliveries: number;
  @ApiProperty({ description: 'The raw message as received (secrets are never in events)' }) payload: string;
  @ApiProperty({ enum: ['pending', 'replayed', 'discarded'] }) status: DeadLetterStatus;
  @ApiProperty({ type: 'string', format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: 'string', format: 'date-time', ...nullable }) replayedAt: Date | null;
  @ApiProperty({ type: 'integer' }) replayAttempts: number;
  @ApiProperty({ type: 'string', ...nullable }) lastReplayError: string | null;
}
