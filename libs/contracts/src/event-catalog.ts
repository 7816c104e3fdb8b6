import { EventDefinition } from './event-definition';
import { BackbonePing } from './events/backbone-ping.event';

/** Every event the platform knows. Adding an event means adding it here (and to the docs). */
export const EVENT_CATALOG: readonly EventDefinition[] = [BackbonePing];

export function findEventByKey(key: string): EventDefinition | undefined {
  return EVENT_CATALOG.find((d) => d.key === key);
}
