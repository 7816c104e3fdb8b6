import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  AgentsInstalled,
  AgentsInstalledV1,
  EventEnvelope,
  OnboardingStepFailed,
  OnboardingStepFailedV1,
  SvmConfigured,
  SvmConfiguredV1,
  TenantActivated,
  TenantActivatedV1,
  TenantRequested,
  TenantRequestedV1,
  VmsRegistered,
  VmsRegisteredV1,
} from '@tpo/contracts';
import { InboxClaim, OnEvent, OnInvalidEvent } from '@tpo/messaging';
import { IntakeFromBusUseCase } from './use-cases/intake-from-bus.use-case';
import { RecordProgressUseCase } from './use-cases/record-progress.use-case';

/** Thin transport: each event goes to one use case. */
@Controller()
export class TenantEventsMessageController {
  constructor(
    private readonly intake: IntakeFromBusUseCase,
    private readonly progress: RecordProgressUseCase,
  ) {}

  @OnEvent(TenantRequested)
  onTenantRequested(@Payload() e: EventEnvelope<TenantRequestedV1>): Promise<void> {
    return this.intake.accept(e);
  }

  /** Orders failing their contract are answered with TenantRequestRejected, not dead-lettered. */
  @OnInvalidEvent(TenantRequested)
  onInvalidTenantRequested(@Payload() p: { envelope: EventEnvelope<unknown>; reasons: string[] }): Promise<void> {
    return this.intake.rejectInvalid(p.envelope, p.reasons);
  }

  @OnEvent(SvmConfigured, { claimsInbox: true })
  onSvmConfigured(@Payload() e: EventEnvelope<SvmConfiguredV1>, @Ctx() inbox?: InboxClaim): Promise<void> {
    return this.progress.svmConfigured(e, inbox);
  }

  @OnEvent(AgentsInstalled, { claimsInbox: true })
  onAgentsInstalled(@Payload() e: EventEnvelope<AgentsInstalledV1>, @Ctx() inbox?: InboxClaim): Promise<void> {
    return this.progress.agentsInstalled(e, inbox);
  }

  @OnEvent(VmsRegistered, { claimsInbox: true })
  onVmsRegistered(@Payload() e: EventEnvelope<VmsRegisteredV1>, @Ctx() inbox?: InboxClaim): Promise<void> {
    return this.progress.vmsRegistered(e, inbox);
  }

  @OnEvent(TenantActivated, { claimsInbox: true })
  onTenantActivated(@Payload() e: EventEnvelope<TenantActivatedV1>, @Ctx() inbox?: InboxClaim): Promise<void> {
    return this.progress.tenantActivated(e, inbox);
  }

  @OnEvent(OnboardingStepFailed)
  onStepFailed(@Payload() e: EventEnvelope<OnboardingStepFailedV1>): Promise<void> {
    return this.progress.stepFailed(e);
  }
}
