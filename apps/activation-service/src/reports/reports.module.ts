import { Module, OnModuleInit } from '@nestjs/common';
import { JobRunner } from '@tpo/jobs';
import { ProtectionReportJob } from './protection-report.job';
import { ProtectionReportRepository } from './protection-report.repository';
import { ReportScheduler } from './report-scheduler';
import { ReportsHttpController } from './reports.http.controller';
import { ReportsUseCases } from './reports.use-cases';

/** Tenant protection reports: scheduled per site and on demand, stored, listed, announced. */
@Module({
  controllers: [ReportsHttpController],
  providers: [ProtectionReportRepository, ReportsUseCases, ProtectionReportJob, ReportScheduler],
  exports: [ProtectionReportRepository],
})
export class ReportsModule implements OnModuleInit {
  constructor(
    private readonly runner: JobRunner,
    private readonly job: ProtectionReportJob,
  ) {}

  onModuleInit(): void {
    this.runner.register(this.job);
  }
}
