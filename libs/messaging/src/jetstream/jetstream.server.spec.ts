import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { BackbonePing, EventEnvelope } from '@tpo/contracts';
import type { NatsConnection } from 'nats';
import pino from 'pino';
import { InboxClaim } from '../inbox/inbox-claim';
import { OnEvent } from '../processing/on-event.decorator';
import { EventProcessor } from '../processing/event-processor';
import { JetStreamServer } from './jetstream.server';

const seen: { envelope: EventEnvelope; inbox?: InboxClaim }[] = [];

@Controller()
class ClaimingController {
  @OnEvent(BackbonePing, { claimsInbox: true })
  async onPing(@Payload() envelope: EventEnvelope, @Ctx() inbox?: InboxClaim): Promise<void> {
    seen.push({ envelope, inbox });
  }
}

@Module({ controllers: [ClaimingController] })
class ClaimingModule {}

describe('JetStreamServer with a claimsInbox handler (Nest wiring)', () => {
  it("declares the handler's option and hands the InboxClaim to its @Ctx() parameter", async () => {
    const server = new JetStreamServer({} as NatsConnection, {} as EventProcessor, pino({ level: 'silent' }), {
      service: 'svc',
      stream: 'S',
      subjectPrefix: 'tpo',
      concurrency: 1,
      ackWaitMs: 30_000,
      definitions: [BackbonePing],
    });
    const app = await NestFactory.createMicroservice(ClaimingModule, { strategy: server, logger: false });
    await app.init();
    try {
      const entry = server.handlerFor(BackbonePing.key)!;
      expect(entry.options).toEqual({ claimsInbox: true });
      const envelope = { id: 'e1' } as EventEnvelope;
      const claim = new InboxClaim(entry.consumer, 'e1', BackbonePing.type);
      await entry.fn(envelope, claim);
      expect(seen).toEqual([{ envelope, inbox: claim }]);
    } finally {
      await app.close();
    }
  });
});
