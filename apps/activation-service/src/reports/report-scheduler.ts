import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { UnitOfWork } from '@tpo/persistence';
import { LOGGER, SERVICE_CONFIG } from '@tpo/platform';
import { runExclusiveRound } from '@tpo/jobs';
import type { Logger } from 'pino';
import { ActivationServiceEnv } from '../config/activation-service.env';
import { ProtectionReportRepository } from './protection-report.repository';
import { ReportsUseCases } from './reports.use-cases';

/**
 * Every REPORT_SCHEDULE_INTERVAL_MS each replica tries a round per site; one replica runs each
 * site's round (advisory lock per site, see runExclusiveRound) and the (tenant, period) key makes a
 * second round for the same period a no-op. The round only records reports and queues their jobs;
 * the jobs do the vendor work under the job runner's per-site limits.
 */
@Injectable()
export class ReportScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly reports: ProtectionReportRepository,
    private readonly useCases: ReportsUseCases,
    @Inject(SERVICE_CONFIG) private readonly config: ActivationServiceEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.REPORT_SCHEDULE_INTERVAL_MS <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.config.REPORT_SCHEDULE_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return; // the previous round is still going
    this.running = this.round().finally(() => (this.running = undefined));
    await this.running;
  }

  /** One round over every site (public for tests and the bench). */
  async round(now = new Date()): Promise<void> {
    try {
      for (const siteId of await this.reports.sitesWithActivations()) {
        await runExclusiveRound(this.uow, `${this.config.DATABASE_SCHEMA}:protection-reports:${siteId}`, async () => {
          const queued = await this.useCases.scheduleSite(siteId, now);
          if (queued > 0) this.logger.info({ siteId, queued }, 'scheduled protection reports');
        });
      }
    } catch (e) {
      this.logger.warn({ err: e }, 'protection report round failed; next interval again');
    }
  }
}
