import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { EventEnvelope, TenantDeprovisioned, TenantDeprovisionedV1, VmsRemoved, VmsRemovedV1 } from '@tpo/contracts';
import { OnEvent } from '@tpo/messaging';
import { ReleaseLicenseUseCase } from './release-license.use-case';

/** Lifecycle events activation-service reacts to (thin transport). */
@Controller()
export class LifecycleEventsMessageController {
  constructor(private readonly release: ReleaseLicenseUseCase) {}

  @OnEvent(TenantDeprovisioned)
  onDeprovisioned(@Payload() e: EventEnvelope<TenantDeprovisionedV1>): Promise<void> {
    return this.release.deprovisioned(e);
  }

  @OnEvent(VmsRemoved)
  onVmsRemoved(@Payload() e: EventEnvelope<VmsRemovedV1>): Promise<void> {
    return this.release.vmsRemoved(e);
  }
}
