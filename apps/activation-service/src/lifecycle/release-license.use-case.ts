import { Inject, Injectable } from '@nestjs/common';
import { EventEnvelope, TenantDeprovisionedV1 } from '@tpo/contracts';
import { LOGGER, StepWorkRepository } from '@tpo/service-kit';
import type { Logger } from 'pino';

/**
 * A deprovisioned tenant's VMs stop counting against its site's license: the activation record
 * keeps its history but its `activeVms` drops to 0 (the site's usage is the sum of those). Runs in
 * the event's inbox transaction, under the same per-site lock as activations, so a concurrent
 * activation sees either the old or the new count, never half of it.
 */
@Injectable()
export class ReleaseLicenseUseCase {
  constructor(
    private readonly steps: StepWorkRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async execute(e: EventEnvelope<TenantDeprovisionedV1>): Promise<void> {
    const work = await this.steps.find<object, { activeVms?: number }>(e.data.tenantId, 'activate', true);
    if (!work) return; // never reached activation: nothing counted
    await this.steps.lockSite('license', work.siteId);
    const released = work.output?.activeVms ?? 0;
    await this.steps.mergeOutput(e.data.tenantId, 'activate', { activeVms: 0, releasedVms: released, releasedBy: e.data.operationId });
    this.logger.info({ tenantId: e.data.tenantId, siteId: work.siteId, released }, 'license count released (tenant deprovisioned)');
  }
}
