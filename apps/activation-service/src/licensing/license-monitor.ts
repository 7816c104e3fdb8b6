import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { LicenseExpiring, LicenseLimitReachedV2Event } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { LOGGER, SERVICE_CONFIG } from '@tpo/platform';
import { runExclusiveRound } from '@tpo/jobs';
import { StepWorkRepository } from '@tpo/steps';
import type { Logger } from 'pino';
import { ActivationServiceEnv } from '../config/activation-service.env';
import { ProtectionReportRepository } from '../reports/protection-report.repository';
import { LicenseAlertRepository } from './license-alert.repository';
import { expiryCrossings } from './license-numbers';
import { SiteLicenseReader } from './site-license.reader';

/**
 * Per site, every LICENSE_MONITOR_INTERVAL_MS (one replica per site and round): reads the live keys
 * and the usage, and raises LicenseExpiring once per key, expiry date and horizon crossed, and
 * LicenseLimitReached (v2) once each time the site reaches its licensed VMs (re-armed when usage
 * falls back under the limit). Usage: the larger of the VMs this platform activated on the site and
 * the sum of each tenant's protected VMs in its latest protection report.
 */
@Injectable()
export class LicenseMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly horizons: number[];

  constructor(
    private readonly uow: UnitOfWork,
    private readonly reader: SiteLicenseReader,
    private readonly alerts: LicenseAlertRepository,
    private readonly reports: ProtectionReportRepository,
    private readonly steps: StepWorkRepository,
    private readonly outbox: OutboxWriter,
    @Inject(SERVICE_CONFIG) private readonly config: ActivationServiceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.horizons = config.LICENSE_EXPIRY_HORIZONS_DAYS.split(',').map(Number);
  }

  onApplicationBootstrap(): void {
    if (this.config.LICENSE_MONITOR_INTERVAL_MS <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.config.LICENSE_MONITOR_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.round().finally(() => (this.running = undefined));
    await this.running;
  }

  async round(now = new Date()): Promise<void> {
    for (const siteId of await this.reports.sitesWithActivations()) {
      try {
        await runExclusiveRound(this.uow, `${this.config.DATABASE_SCHEMA}:license-monitor:${siteId}`, () =>
          this.checkSite(siteId, now),
        );
      } catch (e) {
        this.logger.warn({ err: e, siteId }, 'licence monitoring round failed for the site; next interval again');
      }
    }
  }

  private async checkSite(siteId: string, now: Date): Promise<void> {
    const live = await this.reader.read(siteId, { fresh: true });
    for (const c of expiryCrossings(live.keys, this.horizons, now)) {
      let raised = false;
      for (const h of c.horizons)
        raised =
          (await this.alerts.raise(siteId, 'expiring', `${c.key.serial}@${c.expiresAt.toISOString()}/${h}d`, {
            daysLeft: c.daysLeft,
          })) || raised;
      if (!raised) continue;
      await this.outbox.emit(LicenseExpiring, {
        siteId,
        keySerial: c.key.serial,
        productName: c.key.productName,
        expiresAt: c.expiresAt.toISOString(),
        daysLeft: c.daysLeft,
        horizonDays: c.horizons[0],
        licensedCount: c.key.limit,
      });
      this.logger.warn(
        { siteId, key: c.key.serial, expiresAt: c.expiresAt, daysLeft: c.daysLeft },
        'licence key expires soon',
      );
    }
    const activated =
      (await this.steps.sumOutputNumberBySite('activate', 'activeVms')).find((r) => r.siteId === siteId)?.total ?? 0;
    const reported = (await this.reports.latestUsage(siteId)).reduce((sum, t) => sum + t.protectedVms, 0);
    const used = Math.max(activated, reported);
    const { maxVms, expiresAt } = live.effective;
    const expired = expiresAt !== undefined && new Date(expiresAt) <= now;
    const atLimit = maxVms !== undefined && used >= maxVms;
    const subject = expired ? `expired@${expiresAt}` : 'vms';
    if (!expired && !atLimit) {
      await this.alerts.clear(siteId, 'limit-reached', 'vms');
      return;
    }
    if (!(await this.alerts.raise(siteId, 'limit-reached', subject, { used, maxVms }))) return;
    const reason = expired
      ? `every licence key of the site expired (last on ${expiresAt})`
      : `the site protects ${used} VMs of ${maxVms} licensed`;
    await this.outbox.emit(LicenseLimitReachedV2Event, {
      siteId,
      source: 'monitor',
      reason,
      licensedVms: maxVms,
      usedVms: used,
      expiresAt,
    });
    this.logger.warn({ siteId, used, maxVms, expiresAt }, 'licence limit reached');
  }
}
