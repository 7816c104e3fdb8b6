import { DynamicModule, Module } from '@nestjs/common';
import { BackbonePingMessageController } from './backbone-ping.message.controller';
import { SERVICE_NAME } from './backbone-ping.tokens';
import { BackbonePingUseCases } from './backbone-ping.use-cases';
import { BackbonePingsHttpController } from './backbone-pings.http.controller';
import { PingHopRepository } from './ping-hop.repository';

export { BackbonePingHops1764201700000 } from './1764201700000-backbone-ping-hops';

/**
 * Placeholder feature proving the backbone end to end through every service (issue 2); each
 * service records its hop in its own schema and forwards the ping through its outbox.
 */
@Module({})
export class BackbonePingModule {
  static forService(service: string): DynamicModule {
    return {
      module: BackbonePingModule,
      controllers: [BackbonePingMessageController, BackbonePingsHttpController],
      providers: [{ provide: SERVICE_NAME, useValue: service }, PingHopRepository, BackbonePingUseCases],
    };
  }
}
