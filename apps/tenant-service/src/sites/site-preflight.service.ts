import { Inject, Injectable } from '@nestjs/common';
import { SitePreflightCompleted } from '@tpo/contracts';
import { KscSession } from '@tpo/ksc-client';
import { OutboxWriter } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { DomainError, inSiteScope, LOGGER, Principal, SERVICE_CONFIG, withSpan } from '@tpo/platform';
import { runExclusiveRound } from '@tpo/jobs';
import { KasperskyClients } from '@tpo/site-directory';
import type { Logger } from 'pino';
import { TenantServiceEnv } from '../config/tenant-service.env';
import { TenantErrorCode } from '../tenants/tenant-errors';
import { runPreflightChecks } from './site-preflight';

/** Name of the span around one site's preflight. */
export const PREFLIGHT_SPAN = 'site-preflight';
import { SitePreflightRecord, SitePreflightRepository } from './site-preflight.repository';
import { SiteRegistry } from './site-registry.service';
import { SiteRepository } from './site.repository';

export type PreflightTrigger = 'registration' | 'schedule' | 'request';

/**
 * Runs a site's preflight (site-preflight.ts), records the result per site and announces it with
 * `SitePreflightCompleted` in the same transaction (outbox). Placement gives no new tenant to a
 * site whose last preflight failed and counts the virtual servers the KSC already held.
 */
@Injectable()
export class SitePreflightService {
  constructor(
    private readonly sites: SiteRepository,
    private readonly registry: SiteRegistry,
    private readonly preflights: SitePreflightRepository,
    private readonly clients: KasperskyClients,
    private readonly uow: UnitOfWork,
    private readonly outbox: OutboxWriter,
    @Inject(SERVICE_CONFIG) private readonly config: TenantServiceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** `POST /v1/sites/:id/preflight`: runs now and answers with the result (site-scoped). */
  async runForCaller(siteId: string, actor?: Principal): Promise<SitePreflightRecord> {
    if (!inSiteScope(actor, siteId) || !(await this.sites.findById(siteId)))
      throw new DomainError(TenantErrorCode.SiteUnknown, `site ${siteId} is not registered`);
    return this.run(siteId, 'request');
  }

  /** After a registration: in the background (the answer does not wait for the vendor servers). */
  runInBackground(siteId: string, trigger: PreflightTrigger): void {
    void this.run(siteId, trigger).catch((e: unknown) =>
      this.logger.warn({ siteId, err: e }, 'site preflight could not be recorded'),
    );
  }

  /** One site's check, as its own span (a root span when scheduled): its vendor calls nest under it. */
  async run(siteId: string, trigger: PreflightTrigger): Promise<SitePreflightRecord> {
    return withSpan(PREFLIGHT_SPAN, { attributes: { 'tpo.site_id': siteId, 'tpo.preflight.trigger': trigger } }, () =>
      this.check(siteId, trigger),
    );
  }

  private async check(siteId: string, trigger: PreflightTrigger): Promise<SitePreflightRecord> {
    const record = await this.sites.findById(siteId);
    if (!record) throw new DomainError(TenantErrorCode.SiteUnknown, `site ${siteId} is not registered`);
    const site = await this.registry.connection(siteId);
    const own = await this.preflights.ownVirtualServers(siteId);
    let session: KscSession | undefined;
    const outcome = await runPreflightChecks({
      site,
      kscConfiguredFlag: record.kscConfigured,
      siteUpdatedAt: record.updatedAt,
      ownVirtualServers: own,
      integrationServer: async () => (await this.clients.integrationServer(siteId)).client,
      // A login of its own, not a pooled session: the 'ksc' check is that the account can log in now.
      kscSession: async () => {
        session = await (await this.clients.kscClient(siteId)).client.startSession();
        return session;
      },
    }).finally(() => session?.endSession().catch(() => undefined));
    const foreign =
      outcome.kscVirtualServers === undefined
        ? ((await this.preflights.find(siteId))?.foreignVirtualServers ?? 0)
        : Math.max(0, outcome.kscVirtualServers - own);
    const saved = await this.uow.run(async () => {
      // A failed site is looked at again sooner, so that it returns to placement soon after it is fixed.
      const next =
        outcome.status === 'failed'
          ? Math.min(this.config.SITE_PREFLIGHT_FAILED_RECHECK_MS, this.config.SITE_PREFLIGHT_INTERVAL_MS)
          : this.config.SITE_PREFLIGHT_INTERVAL_MS;
      const r = await this.preflights.record(siteId, {
        ...outcome,
        trigger,
        foreignVirtualServers: foreign,
        intervalMs: next,
      });
      await this.outbox.emit(SitePreflightCompleted, {
        siteId,
        status: outcome.status,
        trigger,
        checkedAt: (r.checkedAt ?? new Date()).toISOString(),
        kscVirtualServers: outcome.kscVirtualServers,
        checks: outcome.checks.map(({ name, status, message }) => ({ name, status, message })),
      });
      return r;
    });
    const failed = outcome.checks.filter((c) => c.status === 'failed').map((c) => c.name);
    if (failed.length > 0)
      this.logger.warn({ siteId, trigger, failed }, 'site preflight failed: the site takes no new tenants');
    else this.logger.info({ siteId, trigger, kscVirtualServers: outcome.kscVirtualServers }, 'site preflight passed');
    return saved;
  }

  /**
   * One scheduler tick on every replica: an exclusive round claims the due sites (one replica per
   * round; the claim moves each site's next due time), then this replica checks them one by one,
   * outside the round's transaction (vendor calls never hold a database transaction open).
   */
  private stopping = false;

  /** Shutdown: the current round stops before its next site. */
  stop(): void {
    this.stopping = true;
  }

  async runDue(): Promise<number> {
    if (this.stopping) return 0;
    let due: { siteId: string; neverChecked: boolean }[] = [];
    await runExclusiveRound(this.uow, `${this.config.DATABASE_SCHEMA}:site-preflight`, async () => {
      due = await this.preflights.claimDue(this.config.SITE_PREFLIGHT_INTERVAL_MS, 20);
    });
    for (const d of due) {
      if (this.stopping) break; // the claim lapses at the next due time; another replica takes it
      try {
        await this.run(d.siteId, d.neverChecked ? 'registration' : 'schedule');
      } catch (e) {
        this.logger.warn({ siteId: d.siteId, err: e }, 'scheduled site preflight failed to run');
      }
    }
    return due.length;
  }
}
