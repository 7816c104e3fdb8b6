import { Inject, Injectable } from '@nestjs/common';
import { LicenseKeyInfo, LicenseKeysApi } from '@tpo/ksc-client';
import { SERVICE_CONFIG } from '@tpo/platform';
import { KasperskyClients, SiteLicense } from '@tpo/site-directory';
import { ActivationServiceEnv } from '../config/activation-service.env';
import { effectiveLicense, productKeys } from './license-numbers';

export interface LiveSiteLicense {
  /** The product's keys in the main server's key storage. */
  keys: LicenseKeyInfo[];
  /** Configured limits and live keys together (the tighter of both). */
  effective: SiteLicense;
  readAt: Date;
}

/**
 * Reads a site's licence keys live from its main Administration Server (LicenseKeys.EnumKeys over
 * GroupSyncIterator, ksc-openapi-addendum.md §3.2; read-only, so repeating it is harmless) and
 * combines them with the site's configured limits. Activation reads through a short cache
 * (LICENSE_KEYS_CACHE_MS); the monitoring round always reads fresh.
 */
@Injectable()
export class SiteLicenseReader {
  private readonly cache = new Map<string, LiveSiteLicense>();
  private readonly product: RegExp;

  constructor(
    private readonly clients: KasperskyClients,
    @Inject(SERVICE_CONFIG) private readonly config: ActivationServiceEnv,
  ) {
    this.product = new RegExp(config.LICENSE_KEY_PRODUCT_PATTERN, 'i');
  }

  async read(siteId: string, options: { fresh?: boolean; signal?: AbortSignal } = {}): Promise<LiveSiteLicense> {
    const cached = this.cache.get(siteId);
    if (!options.fresh && cached && Date.now() - cached.readAt.getTime() < this.config.LICENSE_KEYS_CACHE_MS)
      return cached;
    const { site, sessions } = await this.clients.kscClient(siteId);
    const keys = await sessions.use(
      async (session) => productKeys(await new LicenseKeysApi(session).enumKeys(), this.product),
      { signal: options.signal },
    );
    const now = new Date();
    const live = { keys, effective: effectiveLicense(site.license, keys, now), readAt: now };
    this.cache.set(siteId, live);
    return live;
  }
}
