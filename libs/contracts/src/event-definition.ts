import { ServiceName } from './service-names';

/** Who may publish an event: one of our services, or an upstream system. */
export type EventProducer = ServiceName | 'upstream-order-system';

/**
 * One event contract: a versioned subject, the payload class that validates it, and who
 * produces and consumes it. Changes inside a version are additive only; a breaking change is
 * a new definition with `version + 1` living beside the old one until every consumer moved.
 */
export interface EventDefinition<T extends object = object> {
  /** PascalCase event name, e.g. `TenantCreated`. */
  readonly name: string;
  readonly version: number;
  /** Subject suffix, e.g. `tenant-created.v1`; the full subject is `<prefix>.evt.<key>`. */
  readonly key: string;
  /** CloudEvents `type`, e.g. `com.tpo.tenant-created.v1`. */
  readonly type: string;
  readonly payload: new () => T;
  readonly producers: readonly EventProducer[];
  readonly consumers: readonly ServiceName[];
  readonly description: string;
}

export function defineEvent<T extends object>(spec: {
  name: string;
  version: number;
  payload: new () => T;
  producers: readonly EventProducer[];
  consumers: readonly ServiceName[];
  description: string;
}): EventDefinition<T> {
  const kebab = spec.name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  const key = `${kebab}.v${spec.version}`;
  return Object.freeze({ ...spec, key, type: `com.tpo.${key}` });
}

/** Default subject prefix; tests and parallel environments use their own. */
export const DEFAULT_SUBJECT_PREFIX = 'tpo';

export function subjectOf(definition: Pick<EventDefinition, 'key'>, prefix = DEFAULT_SUBJECT_PREFIX): string {
  return `${prefix}.evt.${definition.key}`;
}

/** Durable consumer name of one service for one event (NATS 2.9: one filter subject per consumer). */
export function consumerNameOf(service: string, definition: Pick<EventDefinition, 'key'>): string {
  return `${service}--${definition.key.replace(/\./g, '-')}`;
}
