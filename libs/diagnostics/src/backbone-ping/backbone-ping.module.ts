import { DynamicModule, Module } from '@nestjs/common';
import { backbonePingEnabled, BaseServiceEnv } from '@tpo/platform';
import { BackbonePingMessageController } from './backbone-ping.message.controller';
import { SERVICE_NAME } from './backbone-ping.tokens';
import { BackbonePingUseCases } from './backbone-ping.use-cases';
import { BackbonePingsHttpController } from './backbone-pings.http.controller';
import { PingHopRepository } from './ping-hop.repository';

export { BackbonePingHops1764201700000 } from './1764201700000-backbone-ping-hops';

/**
 * Diagnostic feature proving the backbone end to end through every service (issue 2); each
 * service records its hop in its own schema and forwards the ping through its outbox. Opt-in:
 * services pass `enabled: backbonePingEnabled(config)` (or nothing: the same rule) (env BACKBONE_PING, off in production by
 * default); disabled, the module adds no route and no consumer (its table stays, unused).
 */
@Module({})
export class BackbonePingModule {
  static forService(service: string, options: { enabled?: boolean } = {}): DynamicModule {
    // Not given: the same rule from the (boot-validated) environment.
    const enabled =
      options.enabled ??
      backbonePingEnabled({
        BACKBONE_PING: envFlag(process.env.BACKBONE_PING),
        NODE_ENV: process.env.NODE_ENV as BaseServiceEnv['NODE_ENV'],
      });
    if (!enabled) return { module: BackbonePingModule };
    return {
      module: BackbonePingModule,
      controllers: [BackbonePingMessageController, BackbonePingsHttpController],
      providers: [{ provide: SERVICE_NAME, useValue: service }, PingHopRepository, BackbonePingUseCases],
    };
  }
}

const envFlag = (v: string | undefined): 'on' | 'off' | undefined => (v === 'on' || v === 'off' ? v : undefined);
