/**
 * What the console streams to a browser about one event: enough to know which tenant changed and
 * how, never the payload (no VM inventory, no addresses, nothing a signed-in viewer could not
 * read over REST with their own token anyway). The browser re-reads the tenant through the API.
 */
export interface LiveEvent {
  /** The event type, e.g. `com.tpo.vms-registered.v1`. */
  type: string;
  tenantId: string;
  siteId?: string;
  step?: string;
  /** The step's attempt, for a step's end: the page re-reads until tenant-service has recorded it. */
  attempt?: number;
  /** The event belongs to a lifecycle operation's run (add-vms, ...), not to the onboarding. */
  operation?: boolean;
  time?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;

const str = (v: unknown, pattern: RegExp): string | undefined =>
  typeof v === 'string' && pattern.test(v) ? v : undefined;

/** The live notice of a raw stream message, or undefined when it concerns no tenant or is not an envelope. */
export function toLiveEvent(raw: string): LiveEvent | undefined {
  let envelope: {
    type?: unknown;
    time?: unknown;
    tenantid?: unknown;
    operationid?: unknown;
    data?: Record<string, unknown>;
  };
  try {
    envelope = JSON.parse(raw) as typeof envelope;
  } catch {
    return undefined;
  }
  if (typeof envelope !== 'object' || envelope === null) return undefined;
  const data = typeof envelope.data === 'object' && envelope.data !== null ? envelope.data : {};
  const tenantId = str(data.tenantId, UUID) ?? str(envelope.tenantid, UUID);
  const type = str(envelope.type, TOKEN);
  if (!tenantId || !type) return undefined;
  return {
    type,
    tenantId,
    siteId: str(data.siteId, TOKEN),
    step: str(data.step, TOKEN),
    attempt:
      typeof data.attempt === 'number' && Number.isSafeInteger(data.attempt) && data.attempt > 0
        ? data.attempt
        : undefined,
    operation: typeof envelope.operationid === 'string' && envelope.operationid !== '' ? true : undefined,
    time: str(envelope.time, /^[0-9T:.+Z-]{10,40}$/),
  };
}

/** A principal limited to some sites only hears about tenants of those sites (events without a site are withheld). */
export function visibleTo(event: LiveEvent, sites: string[] | undefined): boolean {
  return !sites || (event.siteId !== undefined && sites.includes(event.siteId));
}
