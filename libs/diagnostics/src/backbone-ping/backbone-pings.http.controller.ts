import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '@tpo/platform';
import { PingHopsResponse, PingStartedResponse } from './ping.responses';
import { BackbonePingUseCases } from './backbone-ping.use-cases';
import { StartPingCommand } from './ping.commands';
import { PingHop } from './ping-hop.repository';

@Controller('v1/backbone/pings')
@ApiTags('diagnostics')
export class BackbonePingsHttpController {
  constructor(private readonly useCases: BackbonePingUseCases) {}

  /** Starts a ping (202: accepted into the outbox; it travels asynchronously). */
  @Post()
  @RequireRole('operator')
  @ApiCreatedResponse({
    type: PingStartedResponse,
    description: 'The ping was written to the outbox; it travels the route asynchronously',
  })
  start(@Body() command: StartPingCommand) {
    return this.useCases.start(command);
  }

  /** The hops of a ping recorded by this service. */
  @Get(':pingId')
  @ApiOkResponse({
    type: PingHopsResponse,
    description: 'Hops this service recorded (empty when the ping has not reached it)',
  })
  async hops(@Param('pingId', new ParseUUIDPipe()) pingId: string): Promise<{ pingId: string; hops: PingHop[] }> {
    return { pingId, hops: await this.useCases.hopsOf(pingId) };
  }
}
