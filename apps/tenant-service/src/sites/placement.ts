/** A candidate site as placement sees it. */
export interface PlacementCandidate {
  id: string;
  maxVirtualServers: number;
  placed: number;
}

export type PlacementResult = { siteId: string } | { rejected: 'NO_SITE_CAPACITY' | 'SITE_UNKNOWN'; reason: string };

/**
 * Picks the site for a new tenant: the preferred site when it is eligible and has a free virtual
 * server, otherwise the eligible site with the most free virtual servers (ties by id). Eligible
 * sites are enabled and have their Integration Server's KSC connection configured.
 */
export function chooseSite(candidates: PlacementCandidate[], preferredSiteId: string | undefined, knownSiteIds: string[]): PlacementResult {
  if (preferredSiteId && !knownSiteIds.includes(preferredSiteId)) {
    return { rejected: 'SITE_UNKNOWN', reason: `preferred site "${preferredSiteId}" is not registered` };
  }
  const withRoom = candidates.filter((c) => c.placed < c.maxVirtualServers);
  const preferred = withRoom.find((c) => c.id === preferredSiteId);
  if (preferred) return { siteId: preferred.id };
  if (withRoom.length === 0) {
    const summary = candidates.length === 0 ? 'no site is eligible (enabled, with its KSC connection configured)' : candidates.map((c) => `${c.id} ${c.placed}/${c.maxVirtualServers}`).join(', ');
    return { rejected: 'NO_SITE_CAPACITY', reason: `no site has a free virtual Administration Server (${summary})` };
  }
  const best = [...withRoom].sort((a, b) => b.maxVirtualServers - b.placed - (a.maxVirtualServers - a.placed) || a.id.localeCompare(b.id))[0];
  return { siteId: best.id };
}
