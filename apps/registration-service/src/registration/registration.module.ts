import { Module, OnModuleInit } from '@nestjs/common';
import { JobRunner } from '@tpo/jobs';
import { StepIntake, StepWorkRepository } from '@tpo/steps';
import { RegisterVmsJob } from './register-vms.job';
import { RegistrationEventsMessageController } from './registration-events.message.controller';
import { RegistrationsHttpController } from './registrations.http.controller';

@Module({
  controllers: [RegistrationEventsMessageController, RegistrationsHttpController],
  providers: [StepWorkRepository, StepIntake, RegisterVmsJob],
})
export class RegistrationModule implements OnModuleInit {
  constructor(
    private readonly runner: JobRunner,
    private readonly job: RegisterVmsJob,
  ) {}

  onModuleInit(): void {
    this.runner.register(this.job);
  }
}
