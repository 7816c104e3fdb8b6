/** The KSC's limit of virtual Administration Servers per Administration Server (ksc-openapi.md §3.1). */
export const KSC_VIRTUAL_SERVER_CAP = 500;

/** A candidate site as placement sees it. */
export interface PlacementCandidate {
  id: string;
  /** Virtual servers this platform may place on the site. */
  maxVirtualServers: number;
  /** This platform's tenants holding (or about to hold) a virtual server there. */
  placed: number;
  /** Virtual servers the KSC held that this platform did not make (last preflight's count); they take room under the 500 cap too. */
  foreign?: number;
  /** Set when the site's last preflight failed: the failed items. Such a site takes no new tenant. */
  preflightFailed?: string[];
}

export type PlacementResult = { siteId: string } | { rejected: 'NO_SITE_CAPACITY' | 'SITE_UNKNOWN'; reason: string };

/** Free virtual servers: within the site's own limit and within the KSC's cap counting every virtual server already there. */
export function freeVirtualServers(c: Pick<PlacementCandidate, 'maxVirtualServers' | 'placed' | 'foreign'>): number {
  return Math.max(0, Math.min(c.maxVirtualServers - c.placed, KSC_VIRTUAL_SERVER_CAP - c.placed - (c.foreign ?? 0)));
}

/**
 * Picks the site for a new tenant: the preferred site when it is eligible and has a free virtual
 * server, otherwise the eligible site with the most free virtual servers (ties by id). Eligible
 * sites are enabled, have their Integration Server's KSC connection configured and did not fail
 * their last preflight. Free virtual servers count those the KSC already held (not only ours).
 */
export function chooseSite(
  candidates: PlacementCandidate[],
  preferredSiteId: string | undefined,
  knownSiteIds: string[],
): PlacementResult {
  if (preferredSiteId && !knownSiteIds.includes(preferredSiteId)) {
    return { rejected: 'SITE_UNKNOWN', reason: `preferred site "${preferredSiteId}" is not registered` };
  }
  const passing = candidates.filter((c) => !c.preflightFailed);
  const withRoom = passing.filter((c) => freeVirtualServers(c) > 0);
  const preferred = withRoom.find((c) => c.id === preferredSiteId);
  if (preferred) return { siteId: preferred.id };
  if (withRoom.length === 0) {
    const describe = (c: PlacementCandidate) =>
      c.preflightFailed
        ? `${c.id} failed its last preflight (${c.preflightFailed.join(', ')})`
        : `${c.id} ${c.placed}/${c.maxVirtualServers}${c.foreign ? ` (+${c.foreign} other virtual servers on its KSC, cap ${KSC_VIRTUAL_SERVER_CAP})` : ''}`;
    const summary =
      candidates.length === 0
        ? 'no site is eligible (enabled, with its KSC connection configured)'
        : candidates.map(describe).join(', ');
    return { rejected: 'NO_SITE_CAPACITY', reason: `no site has a free virtual Administration Server (${summary})` };
  }
  const best = [...withRoom].sort(
    (a, b) => freeVirtualServers(b) - freeVirtualServers(a) || a.id.localeCompare(b.id),
  )[0];
  return { siteId: best.id };
}
