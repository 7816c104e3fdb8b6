import { Inject, Injectable } from '@nestjs/common';
import { EventEnvelope, TenantRequestDuplicate, TenantRequestedV1, TenantRequestRejected } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { DomainError, LOGGER } from '@tpo/platform';
import type { Logger } from 'pino';
import { RequestOnboardingUseCase } from './request-onboarding.use-case';

/** Rejections an upstream system can act on; anything else is a transient failure (retried). */
const REJECTIONS = new Set([
  'INVALID_INPUT',
  'TENANT_NAME_TAKEN',
  'ADMIN_ACCOUNT_TAKEN',
  'NO_SITE_CAPACITY',
  'SITE_UNKNOWN',
]);

/** `TenantRequested` from an upstream order system: the same intake, its outcomes answered with events. */
@Injectable()
export class IntakeFromBusUseCase {
  constructor(
    private readonly intake: RequestOnboardingUseCase,
    private readonly outbox: OutboxWriter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async accept(e: EventEnvelope<TenantRequestedV1>): Promise<void> {
    try {
      const result = await this.intake.execute(e.data, { requester: 'order:bus' });
      // Always announced on the bus, whichever way the duplicate was detected; in the consumer's transaction.
      if (result.outcome === 'duplicate') {
        await this.outbox.emit(
          TenantRequestDuplicate,
          { orderId: e.data.orderId, tenantId: result.tenant.id },
          { tenantId: result.tenant.id },
        );
      }
      this.logger.info(
        { orderId: e.data.orderId, tenantId: result.tenant.id, outcome: result.outcome },
        'tenant order taken',
      );
    } catch (error) {
      if (!(error instanceof DomainError) || !REJECTIONS.has(error.code)) throw error;
      const fields = (error.options.details?.fields as string[] | undefined) ?? [];
      await this.outbox.emit(TenantRequestRejected, {
        orderId: e.data.orderId.slice(0, 100),
        code: error.code,
        reasons: fields.length > 0 ? fields.map(toReason) : [{ path: '', message: error.message.slice(0, 1000) }],
      });
      this.logger.warn({ orderId: e.data.orderId, code: error.code }, 'tenant order rejected');
    }
  }

  /** A well-formed event whose order fails the contract: reject with every field path. */
  async rejectInvalid(envelope: EventEnvelope<unknown>, reasons: string[]): Promise<void> {
    const data = (envelope.data ?? {}) as { orderId?: unknown };
    await this.outbox.emit(TenantRequestRejected, {
      orderId: typeof data.orderId === 'string' ? data.orderId.slice(0, 100) : undefined,
      code: 'INVALID_INPUT',
      reasons: reasons.slice(0, 100).map(toReason),
    });
  }
}

/**
 * `data.vms.0.biosUuid: biosUuid must be a UUID` -> { path: 'vms.0.biosUuid', message }; a reason about
 * the payload as a whole (`data: payload could not be validated: ...`) gets the empty path.
 */
function toReason(line: string): { path: string; message: string } {
  const sep = line.indexOf(': ');
  return sep > 0
    ? {
        path: line
          .slice(0, sep)
          .replace(/^data(\.|$)/, '')
          .slice(0, 200),
        message: line.slice(sep + 2).slice(0, 1000),
      }
    : { path: '', message: line.slice(0, 1000) };
}
