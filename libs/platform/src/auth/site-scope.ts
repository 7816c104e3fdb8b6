import { SetMetadata } from '@nestjs/common';
import { Principal } from './roles';

export const SITE_SCOPED_KEY = 'tpo:site-scoped';

/**
 * The route applies the principal's site scope itself (filters lists, answers 404 for another
 * site's object, refuses writes outside it). Routes without it span all sites (dead letters, audit,
 * diagnostics) and a site-scoped principal gets 403 there: scoping is the default, not an opt-in.
 */
export const SiteScoped = () => SetMetadata(SITE_SCOPED_KEY, true);

/** True when `principal` may act on `siteId` (no `sites` claim = every site). */
export function inSiteScope(principal: Principal | undefined, siteId: string | null | undefined): boolean {
  if (!principal?.sites) return true;
  return siteId !== null && siteId !== undefined && principal.sites.includes(siteId);
}
