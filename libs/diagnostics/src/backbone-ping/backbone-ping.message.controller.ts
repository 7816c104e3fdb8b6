import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { BackbonePing, BackbonePingV1, EventEnvelope } from '@tpo/contracts';
import { OnEvent } from '@tpo/messaging';
import { BackbonePingUseCases } from './backbone-ping.use-cases';

@Controller()
export class BackbonePingMessageController {
  constructor(private readonly useCases: BackbonePingUseCases) {}

  @OnEvent(BackbonePing)
  handle(@Payload() event: EventEnvelope<BackbonePingV1>): Promise<void> {
    return this.useCases.onPing(event);
  }
}
