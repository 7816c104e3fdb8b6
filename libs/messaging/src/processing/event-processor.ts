import { EventDefinition, EventEnvelope, validateEvent } from '@tpo/contracts';
import { DomainError, PlatformMetrics, RequestContext, SpanKind, TraceCarrier, withSpan } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import type { Logger } from 'pino';
import { DeadLetterRepository } from '../dead-letter/dead-letter.repository';
import { InboxClaim } from '../inbox/inbox-claim';
import { InboxRepository } from '../inbox/inbox.repository';
import { RetryPolicy } from './retry-policy';

/** A message as delivered by the broker, reduced to what processing needs. */
export interface DeliveredEvent {
  subject: string;
  data: Uint8Array | string;
  /** 1 on first delivery. */
  deliveryCount: number;
  streamSeq: number | null;
  /** W3C trace context from the message headers. */
  traceContext?: TraceCarrier;
}

/**
 * `inbox` is given only to a handler declared `claimsInbox` (see `EventProcessor.process`), which
 * writes the event's inbox row itself, in the same statement as its own writes.
 */
export type EventHandlerFn = (envelope: EventEnvelope, inbox?: InboxClaim) => Promise<void>;

export interface EventHandlerOptions {
  /**
   * The handler writes the inbox row itself, gating its writes in one statement (InboxClaim), and
   * writes nothing else: the processor opens no transaction for it. A handler that returns without
   * settling the claim wrote nothing; the processor then claims the row, as for any handler.
   */
  claimsInbox?: boolean;
}

/**
 * Optional handler for a well-formed event whose payload fails its contract (e.g. an order to
 * reject with reasons). It runs in the inbox transaction; the message is then acked, not dead-lettered.
 */
export type InvalidEventHandlerFn = (envelope: EventEnvelope<unknown>, reasons: string[]) => Promise<void>;

export type ProcessOutcome =
  | { action: 'ack'; result: 'applied' | 'duplicate' | 'dead_lettered' | 'rejected' }
  | { action: 'retry'; delayMs: number; reason: string }
  | { action: 'term'; result: 'dead_lettered'; reason: string };

/** Raised by handlers (or the processor) for input that no retry can fix. */
export class PoisonEventError extends Error {
  override name = 'PoisonEventError';
}

export interface EventProcessorDeps {
  service: string;
  uow: UnitOfWork;
  inbox: InboxRepository;
  deadLetters: DeadLetterRepository;
  retry: RetryPolicy;
  metrics: PlatformMetrics;
  logger: Logger;
  maxMessageBytes: number;
  /** Test seam: runs after the handler's transaction committed, before the outcome is returned. */
  afterCommit?: (envelope: EventEnvelope) => Promise<void>;
}

type Classified = { kind: 'poison'; reason: string } | { kind: 'transient'; reason: string };

/** How a handler error maps onto the NATS outcome: the transport's one error filter. */
export function classifyHandlerError(error: unknown): Classified {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof PoisonEventError) return { kind: 'poison', reason: message };
  if (error instanceof DomainError) {
    return error.retryable
      ? { kind: 'transient', reason: `${error.code}: ${message}` }
      : { kind: 'poison', reason: `${error.code}: ${message}` };
  }
  // Unknown errors (database down, timeouts, bugs) are retried with backoff, then dead-lettered.
  return { kind: 'transient', reason: message };
}

/**
 * Validates, deduplicates and applies one delivered event; state, inbox row and emitted events
 * commit in one transaction. Returns what the transport must do with the message.
 */
export class EventProcessor {
  constructor(private readonly deps: EventProcessorDeps) {}

  /** One CONSUMER span per delivery, in the publisher's trace. */
  process(
    consumer: string,
    definition: EventDefinition,
    handler: EventHandlerFn,
    msg: DeliveredEvent,
    onInvalid?: InvalidEventHandlerFn,
    options: EventHandlerOptions = {},
  ): Promise<ProcessOutcome> {
    const attributes = {
      'messaging.system': 'nats',
      'messaging.operation.type': 'process',
      'messaging.destination.name': msg.subject,
      'messaging.consumer.group.name': consumer,
      'tpo.service': this.deps.service,
      'tpo.delivery': msg.deliveryCount,
    };
    return withSpan(
      `${msg.subject} process`,
      { kind: SpanKind.CONSUMER, parent: msg.traceContext ?? null, attributes },
      async (span) => {
        const outcome = await this.processDelivery(consumer, definition, handler, msg, onInvalid, options);
        span?.setAttribute('tpo.outcome', outcome.action === 'retry' ? 'retry' : outcome.result);
        return outcome;
      },
    );
  }

  private async processDelivery(
    consumer: string,
    definition: EventDefinition,
    handler: EventHandlerFn,
    msg: DeliveredEvent,
    onInvalid: InvalidEventHandlerFn | undefined,
    options: EventHandlerOptions,
  ): Promise<ProcessOutcome> {
    const started = process.hrtime.bigint();
    const raw = typeof msg.data === 'string' ? msg.data : Buffer.from(msg.data).toString('utf8');
    const parsed = this.parse(raw, definition);
    if (!parsed.ok) {
      this.deps.metrics.eventsFailed.inc({ subject: msg.subject, reason: 'invalid' });
      if (onInvalid && parsed.envelope)
        return this.reject(consumer, msg, raw, parsed.envelope, parsed.reasons ?? [parsed.reason], onInvalid);
      return this.deadLetter(consumer, msg, raw, parsed.reason, parsed.eventId, parsed.tenantId, 'term');
    }
    const envelope = parsed.envelope;
    const context = {
      correlationId: envelope.correlationid,
      causationId: envelope.id,
      tenantId: envelope.tenantid,
      operationId: envelope.operationid,
    };
    return RequestContext.run(context, async () => {
      try {
        const applied = options.claimsInbox
          ? await this.applyClaiming(consumer, envelope, handler)
          : await this.apply(consumer, envelope, handler);
        await this.deps.afterCommit?.(envelope);
        const result = applied ? 'applied' : 'duplicate';
        this.deps.metrics.eventsHandled.inc({ subject: msg.subject, outcome: result });
        this.deps.metrics.handlerDuration.observe(
          { subject: msg.subject },
          Number(process.hrtime.bigint() - started) / 1e9,
        );
        if (!applied) this.deps.logger.info({ eventId: envelope.id, consumer }, 'duplicate event skipped');
        return { action: 'ack', result };
      } catch (error) {
        const c = classifyHandlerError(error);
        if (c.kind === 'transient' && !this.deps.retry.exhausted(msg.deliveryCount)) {
          const delayMs = this.deps.retry.delayAfter(msg.deliveryCount);
          this.deps.metrics.eventsFailed.inc({ subject: msg.subject, reason: 'transient' });
          this.deps.metrics.eventsHandled.inc({ subject: msg.subject, outcome: 'retry' });
          this.deps.logger.warn(
            { eventId: envelope.id, consumer, delivery: msg.deliveryCount, delayMs, reason: c.reason },
            'handler failed; retrying later',
          );
          return { action: 'retry', delayMs, reason: c.reason };
        }
        const reason = c.kind === 'transient' ? `gave up after ${msg.deliveryCount} deliveries: ${c.reason}` : c.reason;
        this.deps.metrics.eventsFailed.inc({
          subject: msg.subject,
          reason: c.kind === 'poison' ? 'permanent' : 'exhausted',
        });
        return this.deadLetter(consumer, msg, raw, reason, envelope.id, envelope.tenantid, 'term');
      }
    });
  }

  /** Applies a stored (dead-lettered) event once more; never dead-letters it again. */
  async replay(
    consumer: string,
    definition: EventDefinition,
    handler: EventHandlerFn,
    msg: DeliveredEvent,
  ): Promise<{ ok: true; duplicate: boolean } | { ok: false; reason: string }> {
    const raw = typeof msg.data === 'string' ? msg.data : Buffer.from(msg.data).toString('utf8');
    const parsed = this.parse(raw, definition);
    if (!parsed.ok) return { ok: false, reason: parsed.reason };
    const envelope = parsed.envelope;
    return RequestContext.run(
      {
        correlationId: envelope.correlationid,
        causationId: envelope.id,
        tenantId: envelope.tenantid,
        operationId: envelope.operationid,
      },
      async () => {
        try {
          const applied = await this.apply(consumer, envelope, handler);
          this.deps.metrics.eventsHandled.inc({ subject: msg.subject, outcome: applied ? 'replayed' : 'duplicate' });
          this.deps.logger.info({ eventId: envelope.id, consumer, applied }, 'dead letter replayed');
          return { ok: true, duplicate: !applied };
        } catch (error) {
          return { ok: false, reason: classifyHandlerError(error).reason };
        }
      },
    );
  }

  /** Claims the inbox row, then runs the handler, in one transaction; false for a duplicate. */
  private apply(consumer: string, envelope: EventEnvelope, handler: EventHandlerFn): Promise<boolean> {
    return this.deps.uow.run(async () => {
      if (!(await this.deps.inbox.claim(consumer, envelope.id, envelope.type))) return false;
      await handler(envelope);
      return true;
    });
  }

  /**
   * The handler claims the inbox row in its own (single) statement: no transaction here. If it
   * wrote nothing (did not settle the claim), the row is claimed now, as `apply` would have.
   */
  private async applyClaiming(consumer: string, envelope: EventEnvelope, handler: EventHandlerFn): Promise<boolean> {
    const claim = new InboxClaim(consumer, envelope.id, envelope.type);
    await handler(envelope, claim);
    return claim.settled ?? (await this.deps.inbox.claim(consumer, envelope.id, envelope.type));
  }

  /** A well-formed event with an invalid payload, handed to the consumer's rejection handler. */
  private async reject(
    consumer: string,
    msg: DeliveredEvent,
    raw: string,
    envelope: EventEnvelope<unknown>,
    reasons: string[],
    onInvalid: InvalidEventHandlerFn,
  ): Promise<ProcessOutcome> {
    return RequestContext.run(
      { correlationId: envelope.correlationid, causationId: envelope.id, operationId: envelope.operationid },
      async () => {
        try {
          await this.deps.uow.run(async () => {
            if (!(await this.deps.inbox.claim(consumer, envelope.id, envelope.type))) return;
            await onInvalid(envelope, reasons);
          });
          this.deps.metrics.eventsHandled.inc({ subject: msg.subject, outcome: 'rejected' });
          this.deps.logger.warn(
            { eventId: envelope.id, consumer, reasons },
            'event rejected: payload failed its contract',
          );
          return { action: 'ack', result: 'rejected' };
        } catch (error) {
          const delayMs = this.deps.retry.delayAfter(msg.deliveryCount);
          if (this.deps.retry.exhausted(msg.deliveryCount))
            return this.deadLetter(
              consumer,
              msg,
              raw,
              `rejection handler failed: ${(error as Error).message}`,
              envelope.id,
              undefined,
              'term',
            );
          return { action: 'retry', delayMs, reason: (error as Error).message };
        }
      },
    );
  }

  private parse(
    raw: string,
    definition: EventDefinition,
  ):
    | { ok: true; envelope: EventEnvelope }
    | {
        ok: false;
        reason: string;
        reasons?: string[];
        eventId?: string;
        tenantId?: string;
        envelope?: EventEnvelope<unknown>;
      } {
    if (Buffer.byteLength(raw) > this.deps.maxMessageBytes) {
      return {
        ok: false,
        reason: `message of ${Buffer.byteLength(raw)} bytes exceeds the ${this.deps.maxMessageBytes}-byte limit`,
      };
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      return { ok: false, reason: `malformed JSON: ${(e as Error).message}` };
    }
    const result = validateEvent(json, definition);
    if (result.ok) return { ok: true, envelope: result.envelope };
    const tenantId =
      typeof (json as { tenantid?: unknown }).tenantid === 'string'
        ? (json as { tenantid: string }).tenantid
        : undefined;
    return {
      ok: false,
      reason: `invalid ${definition.name}: ${result.reasons.join('; ')}`,
      reasons: result.reasons,
      eventId: result.eventId,
      tenantId,
      envelope: result.envelope,
    };
  }

  private async deadLetter(
    consumer: string,
    msg: DeliveredEvent,
    raw: string,
    reason: string,
    eventId: string | undefined,
    tenantId: string | undefined,
    action: 'term',
  ): Promise<ProcessOutcome> {
    try {
      await this.deps.deadLetters.record({
        consumer,
        subject: msg.subject,
        streamSeq: msg.streamSeq,
        eventId: eventId ?? null,
        eventType: null,
        tenantId: tenantId ?? null,
        reason,
        deliveries: msg.deliveryCount,
        payload: raw.slice(0, this.deps.maxMessageBytes),
      });
    } catch (e) {
      // Without a dead-letter row the message must not be terminated: nothing may be lost.
      const delayMs = this.deps.retry.delayAfter(msg.deliveryCount);
      this.deps.logger.error({ err: e, eventId, consumer }, 'could not store dead letter; will retry delivery');
      return { action: 'retry', delayMs, reason: `dead-letter store unavailable: ${(e as Error).message}` };
    }
    this.deps.metrics.eventsHandled.inc({ subject: msg.subject, outcome: 'dead_lettered' });
    this.deps.logger.error(
      { eventId, consumer, subject: msg.subject, delivery: msg.deliveryCount, reason },
      'event dead-lettered',
    );
    return { action, result: 'dead_lettered', reason };
  }
}
