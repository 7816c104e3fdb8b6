import { Module, OnModuleInit } from '@nestjs/common';
import { JobRunner } from '@tpo/jobs';
import { StepIntake, StepWorkRepository } from '@tpo/steps';
import { ConfigureSvmJob } from './configure-svm.job';
import { SvmConfigEventsMessageController } from './svm-config-events.message.controller';
import { SvmConfigsHttpController } from './svm-configs.http.controller';

@Module({
  controllers: [SvmConfigEventsMessageController, SvmConfigsHttpController],
  providers: [StepWorkRepository, StepIntake, ConfigureSvmJob],
})
export class SvmConfigModule implements OnModuleInit {
  constructor(
    private readonly runner: JobRunner,
    private readonly job: ConfigureSvmJob,
  ) {}

  onModuleInit(): void {
    this.runner.register(this.job);
  }
}
