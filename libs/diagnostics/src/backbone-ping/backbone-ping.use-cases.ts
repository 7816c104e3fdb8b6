import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { BackbonePing, BackbonePingV1, EventEnvelope } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { SERVICE_NAME } from './backbone-ping.tokens';
import { DEFAULT_PING_ROUTE, StartPingCommand } from './ping.commands';
import { PingHop, PingHopRepository } from './ping-hop.repository';

@Injectable()
export class BackbonePingUseCases {
  constructor(
    @Inject(SERVICE_NAME) private readonly service: string,
    private readonly uow: UnitOfWork,
    private readonly hops: PingHopRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  /** Records hop -1 (the start) and emits the ping to the first service of the route. */
  start(command: StartPingCommand): Promise<{ pingId: string; route: string[] }> {
    const pingId = randomUUID();
    const route = command.route ?? DEFAULT_PING_ROUTE;
    return this.uow.run(async () => {
      await this.hops.insert({ pingId, hop: -1, eventId: null, route, note: command.note ?? null });
      await this.outbox.emit(BackbonePing, { pingId, route, hop: 0, note: command.note });
      return { pingId, route };
    });
  }

  /** Runs inside the event's transaction (inbox + state + outbox commit together). */
  async onPing(event: EventEnvelope<BackbonePingV1>): Promise<void> {
    const { pingId, route, hop, note } = event.data;
    if (route[hop] !== this.service) return; // addressed to another service
    await this.hops.insert({ pingId, hop, eventId: event.id, route, note: note ?? null });
    if (hop + 1 < route.length) await this.outbox.emit(BackbonePing, { pingId, route, hop: hop + 1, note });
  }

  hopsOf(pingId: string): Promise<PingHop[]> {
    return this.hops.findByPing(pingId);
  }
}
