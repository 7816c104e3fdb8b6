import { Module, OnModuleInit } from '@nestjs/common';
import { JobRunner, StepIntake, StepWorkRepository } from '@tpo/service-kit';
import { AgentInstallEventsMessageController } from './agent-install-events.message.controller';
import { InstallAgentsJob } from './install-agents.job';
import { InstallsHttpController } from './installs.http.controller';
import { AgentsInstallRequestedMessageController } from '../lifecycle/agents-install-requested.message.controller';

@Module({
  controllers: [AgentInstallEventsMessageController, InstallsHttpController, AgentsInstallRequestedMessageController],
  providers: [StepWorkRepository, StepIntake, InstallAgentsJob],
})
export class AgentInstallModule implements OnModuleInit {
  constructor(
    private readonly runner: JobRunner,
    private readonly job: InstallAgentsJob,
  ) {}

  onModuleInit(): void {
    this.runner.register(this.job);
  }
}
