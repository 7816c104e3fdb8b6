import { Module, OnModuleInit } from '@nestjs/common';
import { JobRunner, StepIntake, StepWorkRepository } from '@tpo/service-kit';
import { LicensingModule } from '../licensing/licensing.module';
import { ActivateTenantJob } from './activate-tenant.job';
import { ActivationEventsMessageController } from './activation-events.message.controller';
import { ActivationsHttpController } from './activations.http.controller';

@Module({
  imports: [LicensingModule],
  controllers: [ActivationEventsMessageController, ActivationsHttpController],
  providers: [StepWorkRepository, StepIntake, ActivateTenantJob],
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
