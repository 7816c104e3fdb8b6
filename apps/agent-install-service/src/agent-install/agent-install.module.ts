import { Module, OnModuleInit } from '@nestjs/common';
import { JobRunner } from '@tpo/jobs';
import { StepIntake, StepWorkRepository } from '@tpo/steps';
import { AgentInstallEventsMessageController } from './agent-install-events.message.controller';
import { InstallAgentsJob } from './install-agents.job';
import { InstallsHttpController } from './installs.http.controller';
import { AgentsInstallRequestedMessageController } from '../lifecycle/agents-install-requested.message.controller';
import { AgentsReleaseRequestedMessageController } from '../release/agents-release-requested.message.controller';
import { ReleaseAgentsJob } from '../release/release-agents.job';
import { ReleaseTaskRepository } from '../release/release-task.repository';

@Module({
  controllers: [
    AgentInstallEventsMessageController,
    InstallsHttpController,
    AgentsInstallRequestedMessageController,
    AgentsReleaseRequestedMessageController,
  ],
  providers: [StepWorkRepository, StepIntake, InstallAgentsJob, ReleaseAgentsJob, ReleaseTaskRepository],
})
export class AgentInstallModule implements OnModuleInit {
  constructor(
    private readonly runner: JobRunner,
    private readonly job: InstallAgentsJob,
    private readonly release: ReleaseAgentsJob,
  ) {}

  onModuleInit(): void {
    this.runner.register(this.job);
    this.runner.register(this.release);
  }
}
