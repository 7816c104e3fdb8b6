import { HostGroupApi, KscHostInfo, KscSession } from '@tpo/ksc-client';

/** A device as the step needs it: its id on the session's server, display name and group. */
export interface KscHost {
  id: string;
  displayName: string;
  groupId?: number;
}

const FIELDS = ['KLHST_WKS_HOSTNAME', 'KLHST_WKS_DN', 'KLHST_WKS_GROUPID', 'KLHST_WKS_LAST_VISIBLE'];
/** Display names per FindHosts call, so that one filter stays a reasonable size. */
const NAMES_PER_SEARCH = 100;

/**
 * Devices of the session's server (main or vAS) whose display name (KLHST_WKS_DN) is one of
 * `names`, keyed by lower-cased name: one FindHosts per 100 names with an OR filter, read page by
 * page through the ChunkAccessor. ASSUMPTION: a tenant VM's KSC display name is its VM name (KSC
 * does not expose the BIOS UUID); with several records of one name the most recently seen wins.
 * VM names are host names (letters, digits, hyphens), so they need no escaping in the filter.
 */
export async function findHostsByName(session: KscSession, names: string[]): Promise<Map<string, KscHost>> {
  const hostGroup = new HostGroupApi(session);
  // Sent as spelled; matched back case-insensitively (KSC compares display names ignoring case [I]).
  const unique = [...new Map(names.map((n) => [n.toLowerCase(), n])).values()];
  const best = new Map<string, KscHostInfo>();
  for (let i = 0; i < unique.length; i += NAMES_PER_SEARCH) {
    const terms = unique.slice(i, i + NAMES_PER_SEARCH).map((n) => `(KLHST_WKS_DN="${n}")`);
    const filter = terms.length === 1 ? terms[0] : `(|${terms.join('')})`;
    for await (const h of hostGroup.iterateHosts(filter, FIELDS, 200)) {
      if (typeof h.KLHST_WKS_DN !== 'string' || typeof h.KLHST_WKS_HOSTNAME !== 'string') continue;
      const key = h.KLHST_WKS_DN.toLowerCase();
      const seen = best.get(key);
      if (!seen || lastVisible(h) > lastVisible(seen)) best.set(key, h);
    }
  }
  const out = new Map<string, KscHost>();
  for (const [key, h] of best) out.set(key, { id: h.KLHST_WKS_HOSTNAME!, displayName: h.KLHST_WKS_DN!, groupId: h.KLHST_WKS_GROUPID });
  return out;
}

function lastVisible(h: KscHostInfo): number {
  return h.KLHST_WKS_LAST_VISIBLE instanceof Date ? h.KLHST_WKS_LAST_VISIBLE.getTime() : 0;
}
