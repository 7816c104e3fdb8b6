import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AgentsReleaseRequested, AgentsReleaseRequestedV1, EventEnvelope } from '@tpo/contracts';
import { OnEvent } from '@tpo/messaging';
import { DomainError, PlatformErrorCode } from '@tpo/platform';
import { JobEnqueuer } from '@tpo/jobs';
import { RELEASE_AGENTS_JOB } from './release-agents.job';

/**
 * Thin transport: one release job per operation (the inbox and the job key make a redelivery start
 * nothing new), straight to this replica's runner when it has a slot.
 */
@Controller()
export class AgentsReleaseRequestedMessageController {
  constructor(private readonly jobs: JobEnqueuer) {}

  @OnEvent(AgentsReleaseRequested)
  async onReleaseRequested(@Payload() e: EventEnvelope<AgentsReleaseRequestedV1>): Promise<void> {
    if (!e.operationid)
      throw new DomainError(PlatformErrorCode.InvalidInput, 'AgentsReleaseRequested without an operation id');
    await this.jobs.enqueue(
      RELEASE_AGENTS_JOB,
      `${e.data.tenantId}:${e.operationid}`,
      { tenantId: e.data.tenantId, operationId: e.operationid, input: e.data },
      e.data.siteId,
    );
  }
}
