import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { EventDefinition, EventEnvelope, subjectOf, validateEvent } from '@tpo/contracts';
import { NatsConnection } from 'nats';
import { EventPublisher } from './event-publisher';

/**
 * Nest client for the JetStream transport. Services publish through the outbox; this client is for
 * edge producers that have no database of their own (upstream order systems, tools, tests).
 * Only events: request/response is not part of the platform's contract.
 */
export class JetStreamClient extends ClientProxy {
  private readonly publisher: EventPublisher;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjectPrefix: string,
  ) {
    super();
    this.publisher = new EventPublisher(nc);
  }

  /**
   * Publishes a complete envelope after validating it against the contract (an invalid event is
   * refused here, not discovered by a consumer). `Nats-Msg-Id` is the event id, so a retried
   * publish is deduplicated.
   */
  async publishEvent<T extends object>(definition: EventDefinition<T>, envelope: EventEnvelope<T>) {
    const check = validateEvent(JSON.parse(JSON.stringify(envelope)), definition);
    if (!check.ok) throw new Error(`refusing to publish invalid ${definition.name}: ${check.reasons.join('; ')}`);
    return this.publisher.publish(subjectOf(definition, this.subjectPrefix), envelope.id, JSON.stringify(envelope));
  }

  async connect(): Promise<NatsConnection> {
    return this.nc;
  }

  async close(): Promise<void> {
    // The connection is owned by whoever created it.
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket<EventEnvelope>): Promise<T> {
    const subject = `${this.subjectPrefix}.evt.${String(packet.pattern)}`;
    return (await this.publisher.publish(subject, packet.data.id, JSON.stringify(packet.data))) as T;
  }

  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({
      err: new Error('JetStreamClient supports events only (emit), not request/response (send)'),
      isDisposed: true,
    });
    return () => undefined;
  }

  override on(): never {
    throw new Error('JetStreamClient does not emit transport events');
  }

  override unwrap<T>(): T {
    return this.nc as T;
  }
}
