import { Body, Controller, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { Public, RequireRole } from '@tpo/platform';
import { SiteConnection } from '@tpo/site-directory';
import { InternalTokenGuard } from './internal-token.guard';
import { RegisterSiteCommand, SetSiteFlagsCommand } from './register-site.command';
import { SiteRegistry } from './site-registry.service';

/** Admin REST for sites (a site = one KSC + its Integration Server). Credentials are write-only. */
@Controller('v1/sites')
export class SitesHttpController {
  constructor(private readonly registry: SiteRegistry) {}

  @Get()
  async list() {
    return { items: await this.registry.list() };
  }

  /** Registers or updates a site; its passwords are encrypted at rest and never returned. */
  @Post()
  @HttpCode(201)
  @RequireRole('admin')
  async register(@Body() command: RegisterSiteCommand) {
    const site = await this.registry.register(command, 'api');
    return (await this.registry.list()).find((s) => s.id === site.id);
  }

  @Patch(':id')
  @RequireRole('admin')
  async setFlags(@Param('id') id: string, @Body() command: SetSiteFlagsCommand) {
    await this.registry.setFlags(id, command);
    return (await this.registry.list()).find((s) => s.id === id);
  }
}

/** Internal: the other services read a site's connection (with credentials) here, never from the bus. */
@Controller('internal/v1/sites')
@Public() // not an admin route: the service token guard below applies instead
@UseGuards(InternalTokenGuard)
export class InternalSitesHttpController {
  constructor(private readonly registry: SiteRegistry) {}

  @Get(':id/connection')
  connection(@Param('id') id: string): Promise<SiteConnection> {
    return this.registry.connection(id);
  }
}
