import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { AgentsInstallRequested, AgentsInstallRequestedV1, EventEnvelope } from '@tpo/contracts';
import { InboxClaim, OnEvent } from '@tpo/messaging';
import { StepIntake } from '@tpo/steps';

/**
 * Add-VMs (issue 10): the install step for the new VMs of a configured tenant. The same step and
 * job as at onboarding; the event's operation id makes it a run of its own (step records and job
 * keyed by the operation), so AgentsInstalled goes on to registration for this operation.
 */
@Controller()
export class AgentsInstallRequestedMessageController {
  constructor(private readonly intake: StepIntake) {}

  @OnEvent(AgentsInstallRequested, { claimsInbox: true })
  onInstallRequested(@Payload() e: EventEnvelope<AgentsInstallRequestedV1>, @Ctx() inbox?: InboxClaim): Promise<void> {
    return this.intake.start('install-agents', e.data.tenantId, e.data.siteId, e.data, e.data.vms, inbox);
  }
}
