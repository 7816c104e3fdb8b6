import { Module, OnModuleInit } from '@nestjs/common';
import { JobRunner } from '@tpo/jobs';
import { StepIntake, StepWorkRepository } from '@tpo/steps';
import { LicensingModule } from '../licensing/licensing.module';
import { ActivateTenantJob } from './activate-tenant.job';
import { ActivationEventsMessageController } from './activation-events.message.controller';
import { ActivationsHttpController } from './activations.http.controller';
import { LifecycleEventsMessageController } from '../lifecycle/lifecycle-events.message.controller';
import { ReleaseLicenseUseCase } from '../lifecycle/release-license.use-case';

@Module({
  imports: [LicensingModule],
  controllers: [ActivationEventsMessageController, ActivationsHttpController, LifecycleEventsMessageController],
  providers: [StepWorkRepository, StepIntake, ActivateTenantJob, ReleaseLicenseUseCase],
})
export class ActivationModule implements OnModuleInit {
  constructor(
    private readonly runner: JobRunner,
    private readonly job: ActivateTenantJob,
  ) {}

  onModuleInit(): void {
    this.runner.register(this.job);
  }
}
