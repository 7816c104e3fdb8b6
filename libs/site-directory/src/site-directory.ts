import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { formatValidationErrors } from '@tpo/contracts';
import { IntegrationServerClient } from '@tpo/integration-server-client';
import { KscClient, KscSessionPool } from '@tpo/ksc-client';
import { currentTraceCarrier, DomainError } from '@tpo/platform';
import type { Logger } from 'pino';
import { fetch } from 'undici';
import type { AddressClass } from '@tpo/kaspersky-http';
import { isLoopback, mintServiceToken } from './service-token';
import { SiteConnection } from './site-connection';

export const SITE_UNKNOWN = 'SITE_UNKNOWN';
export const SITE_DIRECTORY_UNAVAILABLE = 'SITE_DIRECTORY_UNAVAILABLE';

/** Where a service finds a site's connection details. */
export interface SiteDirectory {
  connection(siteId: string): Promise<SiteConnection>;
}

export function parseSiteConnection(raw: unknown): SiteConnection {
  const site = plainToInstance(SiteConnection, raw);
  const errors = formatValidationErrors(validateSync(site, { forbidUnknownValues: true }));
  if (errors.length > 0) throw new Error(`invalid site connection: ${errors.join('; ')}`);
  return site;
}

export interface RemoteSiteDirectoryOptions {
  baseUrl: string;
  /** This service's name and its own key: every request carries a fresh 60-second token signed with it. */
  service: string;
  key: string;
  /** Plain http to a non-loopback host only when a service mesh protects the hop. */
  plaintext?: 'mesh-mtls';
  /** Address classes the Kaspersky clients may connect to beyond public/private (SITE_URL_ALLOW). */
  allowAddresses?: readonly AddressClass[];
  ttlMs?: number;
  timeoutMs?: number;
}

/**
 * Site connections served by tenant-service (the site registry, which keeps credentials encrypted
 * at rest) at `GET /internal/v1/sites/:id/connection`, authenticated with a short-lived token
 * signed with this service's own key (tenant-service audits every read). Never over plain HTTP
 * outside local development. Cached briefly; credentials never travel on the bus.
 */
export class RemoteSiteDirectory implements SiteDirectory {
  private readonly cache = new Map<string, { at: number; site: SiteConnection }>();
  /** Reads under way: concurrent misses of one site (e.g. 16 jobs starting at once) share one audited read. */
  private readonly inFlight = new Map<string, Promise<SiteConnection>>();

  constructor(private readonly options: RemoteSiteDirectoryOptions) {
    const url = new URL(options.baseUrl);
    if (url.protocol === 'http:' && !isLoopback(url.hostname) && options.plaintext !== 'mesh-mtls') {
      throw new Error(
        `SITE_DIRECTORY_URL ${options.baseUrl}: site credentials are never fetched over plain HTTP outside local development; use https (or SITE_DIRECTORY_PLAINTEXT=mesh-mtls behind a mesh)`,
      );
    }
  }

  async connection(siteId: string): Promise<SiteConnection> {
    const hit = this.cache.get(siteId);
    if (hit && Date.now() - hit.at < (this.options.ttlMs ?? 60_000)) return hit.site;
    const pending = this.inFlight.get(siteId);
    if (pending) return pending;
    const read = this.read(siteId).finally(() => this.inFlight.delete(siteId));
    this.inFlight.set(siteId, read);
    return read;
  }

  private async read(siteId: string): Promise<SiteConnection> {
    let res;
    try {
      res = await fetch(`${this.options.baseUrl}/internal/v1/sites/${encodeURIComponent(siteId)}/connection`, {
        // The trace context lets tenant-service's request span join the step's trace.
        headers: {
          Authorization: `Bearer ${await mintServiceToken(this.options.service, this.options.key)}`,
          ...currentTraceCarrier(),
        },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
    } catch (e) {
      throw new DomainError(SITE_DIRECTORY_UNAVAILABLE, `site directory unreachable: ${(e as Error).message}`, {
        retryable: true,
      });
    }
    if (res.status === 404) throw new DomainError(SITE_UNKNOWN, `site ${siteId} is not registered`);
    if (!res.ok)
      throw new DomainError(SITE_DIRECTORY_UNAVAILABLE, `site directory answered ${res.status}`, { retryable: true });
    const site = parseSiteConnection(await res.json());
    this.cache.set(siteId, { at: Date.now(), site });
    return site;
  }
}

/** Fixed connections (tests, single-site tools). */
export class StaticSiteDirectory implements SiteDirectory {
  constructor(private readonly sites: SiteConnection[]) {}

  async connection(siteId: string): Promise<SiteConnection> {
    const site = this.sites.find((s) => s.id === siteId);
    if (!site) throw new DomainError(SITE_UNKNOWN, `site ${siteId} is not registered`);
    return site;
  }
}

/** Reuse of main-server KSC sessions (KSC_SESSION_IDLE_MAX_MS, KSC_SESSION_POOL_IDLE). */
export interface KscSessionPoolTuning {
  idleMaxMs?: number;
  maxIdle?: number;
}

/** The pool settings of a service's validated environment. */
export function kscSessionPoolTuning(env: { KSC_SESSION_IDLE_MAX_MS: number; KSC_SESSION_POOL_IDLE: number }) {
  return { idleMaxMs: env.KSC_SESSION_IDLE_MAX_MS, maxIdle: env.KSC_SESSION_POOL_IDLE };
}

/**
 * Kaspersky clients per site, built from the directory and rebuilt when credentials change. Each
 * site's clients keep their HTTP keep-alive connections across jobs, and its KSC client comes with
 * a pool of main-server sessions (`sessions`) that jobs borrow instead of logging in each time.
 */
export class KasperskyClients {
  private readonly is = new Map<string, { fingerprint: string; client: IntegrationServerClient }>();
  private readonly ksc = new Map<string, { fingerprint: string; client: KscClient; sessions: KscSessionPool }>();

  constructor(
    private readonly directory: SiteDirectory,
    private readonly logger: Logger,
    private readonly tuning: {
      timeoutMs?: number;
      connections?: number;
      kscConnections?: number;
      allowAddresses?: readonly AddressClass[];
      sessionPool?: KscSessionPoolTuning;
    } = {},
  ) {}

  async integrationServer(siteId: string): Promise<{ site: SiteConnection; client: IntegrationServerClient }> {
    const site = await this.directory.connection(siteId);
    const c = site.integrationServer;
    const fingerprint = JSON.stringify([c.url, c.username, c.password, c.tls]);
    let entry = this.is.get(siteId);
    if (!entry || entry.fingerprint !== fingerprint) {
      void entry?.client.close();
      entry = {
        fingerprint,
        client: new IntegrationServerClient({
          baseUrl: c.url,
          username: c.username,
          password: c.password,
          tls: c.tls,
          allowAddresses: this.tuning.allowAddresses ?? [],
          timeoutMs: this.tuning.timeoutMs ?? 30_000,
          connections: this.tuning.connections,
          logger: this.logger,
        }),
      };
      this.is.set(siteId, entry);
    }
    return { site, client: entry.client };
  }

  /** The site's KSC client and its pool of main-server sessions (vAS sessions are the caller's own). */
  async kscClient(siteId: string): Promise<{ site: SiteConnection; client: KscClient; sessions: KscSessionPool }> {
    const site = await this.directory.connection(siteId);
    const c = site.ksc;
    const fingerprint = JSON.stringify([c.url, c.username, c.password, c.tls]);
    let entry = this.ksc.get(siteId);
    if (!entry || entry.fingerprint !== fingerprint) {
      if (entry) {
        const old = entry;
        // The old account's idle sessions end, then its connections close (as before: a job still on them
        // fails and is retried; sessions it held expire on the server).
        void old.sessions.close().finally(() => old.client.close());
      }
      const client = new KscClient({
        baseUrl: c.url,
        credentials: { user: c.username, password: c.password },
        tls: c.tls,
        allowAddresses: this.tuning.allowAddresses ?? [],
        timeoutMs: this.tuning.timeoutMs ?? 30_000,
        connections: this.tuning.kscConnections ?? 8,
        logger: this.logger,
      });
      entry = {
        fingerprint,
        // Several connections: each carries one request at a time (ksc-openapi §1.1), and token
        // sessions work across connections, so concurrent tenants do not queue behind each other.
        client,
        sessions: new KscSessionPool(client, { ...this.tuning.sessionPool, logger: this.logger }),
      };
      this.ksc.set(siteId, entry);
    }
    return { site, client: entry.client, sessions: entry.sessions };
  }

  /** Ends the pooled KSC sessions (Session.EndSession), then closes every connection. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.ksc.values()].map((e) => e.sessions.close()));
    await Promise.allSettled([...this.is.values()].map((e) => e.client.close()));
    await Promise.allSettled([...this.ksc.values()].map((e) => e.client.close()));
  }
}
