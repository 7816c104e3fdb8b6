import { randomUUID } from 'node:crypto';
import {
  EVENT_CATALOG,
  EventDefinition,
  EventEnvelope,
  validateOutgoingPayload,
  warmPayloadValidators,
} from '@tpo/contracts';
import { currentTraceCarrier, DomainError, RequestContext } from '@tpo/platform';
import { GuardedStatement, UnitOfWork } from '@tpo/persistence';
import { OutboxRepository } from './outbox.repository';

export const INVALID_OUTGOING_EVENT = 'INVALID_OUTGOING_EVENT';

export interface EmitOptions {
  tenantId?: string;
  /** Defaults to the correlation id of the request or event in scope. */
  correlationId?: string;
  /** Defaults to the id of the event being handled, when there is one. */
  causationId?: string;
  /** Lets a caller make the event id deterministic (e.g. derived from an order id). */
  eventId?: string;
  /** Defaults to the operation of the work in scope (issue 10), if any. */
  operationId?: string;
}

/** One event to emit (OutboxWriter.emitStatement). */
export interface Emission<T extends object = object> {
  definition: EventDefinition<T>;
  data: T;
  options?: EmitOptions;
}

/**
 * Writes events to the outbox inside the caller's transaction. Nothing is published here: the
 * relay does that after commit, so an event exists on the bus if and only if its state change does.
 */
export class OutboxWriter {
  constructor(
    private readonly source: string,
    private readonly uow: UnitOfWork,
    private readonly outbox: OutboxRepository,
  ) {
    // The compiled checks of the events this service produces, built now rather than on each one's first emit.
    warmPayloadValidators(EVENT_CATALOG.filter((d) => (d.producers as readonly string[]).includes(source)));
  }

  async emit<T extends object>(
    definition: EventDefinition<T>,
    data: T,
    options: EmitOptions = {},
  ): Promise<EventEnvelope<T>> {
    const row = this.row(definition, data, options);
    await this.uow.run(() => this.outbox.insert([row]));
    return row.envelope as EventEnvelope<T>;
  }

  /**
   * The events' outbox rows as one guarded statement, validated and enveloped exactly as `emit`
   * does, for work that commits as a single statement (JobContext.succeedWith). Their order is kept.
   */
  emitStatement(events: Emission[]): GuardedStatement {
    return this.outbox.insertStatement(events.map((e) => this.row(e.definition, e.data, e.options)));
  }

  private row<T extends object>(definition: EventDefinition<T>, data: T, options: EmitOptions = {}) {
    // The compiled contract first, class-validator for what it refuses (same verdict, unknown properties refused).
    const checked = validateOutgoingPayload(definition, data);
    if (!checked.ok) {
      // A producer bug, never a consumer's problem: refuse before anything is written.
      const errors = checked.reasons;
      throw new DomainError(
        INVALID_OUTGOING_EVENT,
        `refusing to emit invalid ${definition.name}: ${errors.join('; ')}`,
        {
          details: { errors },
        },
      );
    }
    const payload = checked.payload;
    const ctx = RequestContext.current();
    const envelope: EventEnvelope<T> = {
      specversion: '1.0',
      id: options.eventId ?? randomUUID(),
      type: definition.type,
      source: this.source,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      tenantid: options.tenantId ?? ctx?.tenantId,
      correlationid: options.correlationId ?? ctx?.correlationId ?? randomUUID(),
      causationid: options.causationId ?? ctx?.causationId,
      ...((options.operationId ?? ctx?.operationId) ? { operationid: options.operationId ?? ctx?.operationId } : {}),
      data: { ...payload },
    };
    return {
      id: envelope.id,
      eventKey: definition.key,
      tenantId: envelope.tenantid,
      envelope: envelope as EventEnvelope,
      traceContext: currentTraceCarrier(),
    };
  }
}
