import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { RequireRole } from '@tpo/platform';
import { BackbonePingUseCases } from './backbone-ping.use-cases';
import { StartPingCommand } from './ping.commands';
import { PingHop } from './ping-hop.repository';

@Controller('v1/backbone/pings')
export class BackbonePingsHttpController {
  constructor(private readonly useCases: BackbonePingUseCases) {}

  /** Starts a ping (202: accepted into the outbox; it travels asynchronously). */
  @Post()
  @RequireRole('operator')
  start(@Body() command: StartPingCommand) {
    return this.useCases.start(command);
  }

  /** The hops of a ping recorded by this service. */
  @Get(':pingId')
  async hops(@Param('pingId', new ParseUUIDPipe()) pingId: string): Promise<{ pingId: string; hops: PingHop[] }> {
    return { pingId, hops: await this.useCases.hopsOf(pingId) };
  }
}
