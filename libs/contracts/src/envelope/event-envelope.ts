import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  Equals,
  IsDefined,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import { SERVICE_NAMES, ServiceName } from '../service-names';

/**
 * The envelope every event travels in. Attribute names follow CloudEvents 1.0
 * (lower-case, no separators) so that CloudEvents tooling can read our messages;
 * `tenantid`, `correlationid` and `causationid` are CloudEvents extension attributes.
 */
export class EventEnvelope<T = unknown> {
  @Equals('1.0')
  specversion!: '1.0';

  /** Unique per event; also the JetStream `Nats-Msg-Id` and the inbox key. */
  @IsUUID()
  id!: string;

  /** Reverse-DNS event type with its version, e.g. `com.tpo.backbone-ping.v1`. */
  @IsString()
  @Matches(/^com\.tpo\.[a-z0-9-]+\.v[0-9]+$/)
  type!: string;

  /** The producing service (or an upstream system's name for ingested events). */
  @IsString()
  @MaxLength(100)
  source!: string;

  @IsISO8601({ strict: true })
  time!: string;

  @Equals('application/json')
  datacontenttype!: 'application/json';

  @IsOptional()
  @IsUUID()
  tenantid?: string;

  @IsString()
  @MaxLength(100)
  correlationid!: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  causationid?: string;

  /**
   * The tenant operation (add-vms, remove-vms, ...) this event belongs to; absent for a tenant's
   * onboarding. Step services run their step once per operation (issue 10).
   */
  @IsOptional()
  @IsUUID()
  operationid?: string;

  @IsDefined()
  @IsObject()
  @Type(() => Object)
  data!: T;
}

/** Services may emit; upstream systems are identified by their own `source`. */
export function isPlatformService(source: string): source is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(source);
}
