import { Inject, Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tpo/persistence';
import { DomainError, inSiteScope, PlatformErrorCode, Principal, SERVICE_CONFIG } from '@tpo/platform';
import { JobRepository } from '@tpo/jobs';
import { ActivationServiceEnv } from '../config/activation-service.env';
import { latestClosedPeriod } from './report-period';
import { PROTECTION_REPORT_JOB } from './protection-report.job';
import { ProtectionReport, ProtectionReportRepository } from './protection-report.repository';

const wholeSecond = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

/** Reports asked for by an operator, and the scheduled round that asks for every tenant of a site. */
@Injectable()
export class ReportsUseCases {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly reports: ProtectionReportRepository,
    private readonly jobs: JobRepository,
    @Inject(SERVICE_CONFIG) private readonly config: ActivationServiceEnv,
  ) {}

  /** On demand: one report per (tenant, period); asking again returns it (a failed one is tried again). */
  async request(input: {
    tenantId: string;
    from?: string;
    to?: string;
    principal?: Principal;
  }): Promise<ProtectionReport> {
    const now = new Date();
    const to = wholeSecond(input.to ? new Date(input.to) : now);
    const from = wholeSecond(
      input.from ? new Date(input.from) : new Date(to.getTime() - this.config.REPORT_PERIOD_SECONDS * 1000),
    );
    if (to.getTime() > now.getTime() + 1000)
      throw new DomainError(PlatformErrorCode.InvalidInput, 'the period may not end in the future');
    if (from >= to) throw new DomainError(PlatformErrorCode.InvalidInput, 'the period must start before it ends');
    return this.uow.run(async () => {
      const [tenant] = await this.reports.reportableTenants({ tenantId: input.tenantId });
      // Outside the caller's sites it does not exist for the caller (no oracle).
      if (!tenant || !inSiteScope(input.principal, tenant.siteId))
        throw new DomainError(PlatformErrorCode.NotFound, `no activated tenant ${input.tenantId}`);
      const { report, created } = await this.reports.upsert(
        tenant,
        { from, to },
        'on-demand',
        input.principal?.subject,
      );
      if (created) await this.jobs.enqueue(PROTECTION_REPORT_JOB, report.id, { reportId: report.id }, report.siteId);
      else if (report.status === 'failed' && (await this.reports.reopen(report.id, input.principal?.subject)))
        await this.jobs.reopen(PROTECTION_REPORT_JOB, report.id);
      return (await this.reports.find(report.id))!;
    });
  }

  /** One site's scheduled round: a report of the latest closed period for each activated tenant (once). */
  async scheduleSite(siteId: string, now = new Date()): Promise<number> {
    const period = latestClosedPeriod(now, this.config.REPORT_PERIOD_SECONDS, this.config.REPORT_SETTLE_SECONDS);
    let queued = 0;
    for (const tenant of await this.reports.reportableTenants({ siteId })) {
      const { report, created } = await this.reports.upsert(tenant, period, 'schedule');
      if (created && (await this.jobs.enqueue(PROTECTION_REPORT_JOB, report.id, { reportId: report.id }, siteId)))
        queued++;
    }
    return queued;
  }
}
