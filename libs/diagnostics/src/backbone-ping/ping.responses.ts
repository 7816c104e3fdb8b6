import { ApiProperty } from '@nestjs/swagger';
import { SERVICE_NAMES } from '@tpo/contracts';

const nullable = { nullable: true } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

export class PingStartedResponse {
  @ApiProperty({ format: 'uuid' }) pingId: string;
  @ApiProperty({ enum: SERVICE_NAMES, isArray: true }) route: string[];
}

class PingHopResponse {
  @ApiProperty({ format: 'uuid' }) pingId: string;
  @ApiProperty({ type: 'integer', description: '-1 is the start' }) hop: number;
  @ApiProperty({ type: 'string', format: 'uuid', ...nullable }) eventId: string | null;
  @ApiProperty({ type: 'string', isArray: true }) route: string[];
  @ApiProperty({ type: 'string', ...nullable }) note: string | null;
  @ApiProperty(dateTime) recordedAt: Date;
}

export class PingHopsResponse {
  @ApiProperty({ format: 'uuid' }) pingId: string;
  @ApiProperty({ type: PingHopResponse, isArray: true }) hops: PingHopResponse[];
}
