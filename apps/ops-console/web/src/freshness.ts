import type { Tenant } from './types.js';

/**
 * How recent a tenant's snapshot is, by the platform's own clock: the latest of its `updatedAt`,
 * `readyAt` and every step's start and end (ISO-8601 UTC strings of one format, so they compare as
 * strings). Two reads of the same tenant can answer out of order (a page load's list and a live
 * event's re-read run at once); the page keeps the fresher one instead of the one that came last.
 */
export function freshness(t: Pick<Tenant, 'updatedAt' | 'readyAt' | 'timeline'>): string {
  let latest = t.updatedAt ?? '';
  const see = (v: string | null | undefined) => {
    if (v && v > latest) latest = v;
  };
  see(t.readyAt);
  for (const s of t.timeline ?? []) {
    see(s.startedAt);
    see(s.endedAt);
  }
  return latest;
}

/** `incoming` unless what the page holds is strictly fresher. */
export function fresher<T extends Pick<Tenant, 'updatedAt' | 'readyAt' | 'timeline'>>(
  held: T | undefined,
  incoming: T,
): T {
  return held !== undefined && freshness(held) > freshness(incoming) ? held : incoming;
}

/**
 * The tenants a page load shows: every loaded tenant (or the page's fresher copy of it), plus the
 * tenants a live event re-read while the load was under way (a tenant ordered after the load's
 * lists were read is in none of them, and must not vanish until the next event).
 */
export function mergeLoaded<T extends Pick<Tenant, 'id' | 'updatedAt' | 'readyAt' | 'timeline'>>(
  held: ReadonlyMap<string, T>,
  loaded: readonly T[],
  readDuringLoad: ReadonlySet<string>,
): Map<string, T> {
  const next = new Map<string, T>();
  for (const t of loaded) next.set(t.id, fresher(held.get(t.id), t));
  for (const id of readDuringLoad) {
    const t = held.get(id);
    if (t !== undefined && !next.has(id)) next.set(id, t);
  }
  return next;
}

/**
 * Whether a re-read tenant already shows what a live event says. The console hears a step's end
 * from the step's own service at the moment tenant-service hears it, and tenant-service may not
 * have recorded it yet when the page reads: a failed step is the last event of a failed onboarding
 * (nothing follows it), so until the tenant shows that step failed (or a later attempt) the page
 * reads again. Every other event is followed by one from tenant-service itself (the next step's
 * start, TenantReady), which brings another re-read.
 */
export function reflects(
  t: Pick<Tenant, 'status' | 'timeline'>,
  e: { type: string; step?: string; attempt?: number; operation?: boolean },
): boolean {
  if (e.operation || !e.step || !/\.onboarding-step-failed\.v\d+$/.test(e.type)) return true;
  const s = t.timeline.find((x) => x.step === e.step);
  if (!s) return true;
  const attempt = s.attempt ?? 1;
  if (e.attempt !== undefined && attempt > e.attempt) return true; // already retried
  return s.status === 'failed' && (e.attempt === undefined || attempt >= e.attempt);
}
