import { Module } from '@nestjs/common';
import { StepWorkRepository } from '@tpo/steps';
import { ReportsModule } from '../reports/reports.module';
import { LicenseAlertRepository } from './license-alert.repository';
import { LicenseMonitor } from './license-monitor';
import { SiteLicenseReader } from './site-license.reader';

/** Live licence numbers (keys on each site's main server) and the monitoring round's alerts. */
@Module({
  imports: [ReportsModule],
  providers: [SiteLicenseReader, LicenseAlertRepository, LicenseMonitor, StepWorkRepository],
  exports: [SiteLicenseReader],
})
export class LicensingModule {}
