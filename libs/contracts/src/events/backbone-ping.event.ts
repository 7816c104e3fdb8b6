import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  Min,
} from 'class-validator';
import { defineEvent } from '../event-definition';
import { SERVICE_NAMES, ServiceName } from '../service-names';

/**
 * Placeholder that proves the backbone: a ping travels along `route`, each service recording
 * its hop in its own tables and emitting the next hop through its outbox.
 */
export class BackbonePingV1 {
  @IsUUID()
  pingId!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsIn(SERVICE_NAMES, { each: true })
  route!: ServiceName[];

  /** Index into `route` of the service this message is addressed to. */
  @IsInt()
  @Min(0)
  hop!: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  note?: string;
}

export const BackbonePing = defineEvent({
  name: 'BackbonePing',
  version: 1,
  payload: BackbonePingV1,
  producers: [...SERVICE_NAMES],
  consumers: [...SERVICE_NAMES],
  description: 'Backbone smoke signal routed through every service; each hop is recorded and forwarded.',
});
