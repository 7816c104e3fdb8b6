import { Inject, Injectable } from '@nestjs/common';
import { EventEnvelope, TenantDeprovisionedV1, VmsRemovedV1 } from '@tpo/contracts';
import { LOGGER } from '@tpo/platform';
import { StepWorkRepository } from '@tpo/steps';
import type { Logger } from 'pino';

/**
 * A deprovisioned tenant's VMs, or a tenant's removed VMs, stop counting against the site's
 * license: the activation records keep their history, their `activeVms` drop (the site's usage is
 * the sum of those over every run of every tenant). Runs in
 * the event's inbox transaction, under the same per-site lock as activations, so a concurrent
 * activation sees either the old or the new count, never half of it.
 */
@Injectable()
export class ReleaseLicenseUseCase {
  constructor(
    private readonly steps: StepWorkRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A deprovisioned tenant: every run's count drops to 0. */
  async deprovisioned(e: EventEnvelope<TenantDeprovisionedV1>): Promise<void> {
    await this.release(e.data.tenantId, e.data.siteId, undefined);
  }

  /** Removed VMs: the tenant's count drops by as many (never below 0). */
  async vmsRemoved(e: EventEnvelope<VmsRemovedV1>): Promise<void> {
    if (e.data.succeeded.length > 0) await this.release(e.data.tenantId, e.data.siteId, e.data.succeeded.length);
  }

  private async release(tenantId: string, siteId: string, by: number | undefined): Promise<void> {
    await this.steps.lockSite('license', siteId);
    const released = await this.steps.releaseOutputNumber(tenantId, 'activate', 'activeVms', by);
    this.logger.info({ tenantId, siteId, released }, 'license count released');
  }
}
