import { Body, Controller, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiSecurity, ApiTags, ApiUnprocessableEntityResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorBody, Public, RequireRole } from '@tpo/platform';
import { SiteListResponse, SiteResponse } from './site.response';
import { SiteConnection } from '@tpo/site-directory';
import { InternalTokenGuard } from './internal-token.guard';
import { RegisterSiteCommand, SetSiteFlagsCommand } from './register-site.command';
import { SiteRegistry } from './site-registry.service';

/** Admin REST for sites (a site = one KSC + its Integration Server). Credentials are write-only. */
@Controller('v1/sites')
@ApiTags('sites')
export class SitesHttpController {
  constructor(private readonly registry: SiteRegistry) {}

  @Get()
  @ApiOkResponse({ type: SiteListResponse, description: 'Every registered site with capacity and placement eligibility' })
  async list() {
    return { items: await this.registry.list() };
  }

  /** Registers or updates a site; its passwords are encrypted at rest and never returned. */
  @Post()
  @HttpCode(201)
  @RequireRole('admin')
  @ApiCreatedResponse({ type: SiteResponse, description: 'The site as stored (credentials are write-only)' })
  async register(@Body() command: RegisterSiteCommand) {
    const site = await this.registry.register(command, 'api');
    return (await this.registry.list()).find((s) => s.id === site.id);
  }

  @Patch(':id')
  @RequireRole('admin')
  @ApiOkResponse({ type: SiteResponse, description: 'The site after the change' })
  @ApiUnprocessableEntityResponse({ type: ErrorBody, description: 'SITE_UNKNOWN' })
  async setFlags(@Param('id') id: string, @Body() command: SetSiteFlagsCommand) {
    await this.registry.setFlags(id, command);
    return (await this.registry.list()).find((s) => s.id === id);
  }
}

/** Internal: the other services read a site's connection (with credentials) here, never from the bus. */
@Controller('internal/v1/sites')
@ApiTags('internal')
@ApiSecurity('internal-token')
@Public() // not an admin route: the service token guard below applies instead
@UseGuards(InternalTokenGuard)
export class InternalSitesHttpController {
  constructor(private readonly registry: SiteRegistry) {}

  @Get(':id/connection')
  @ApiUnprocessableEntityResponse({ type: ErrorBody, description: 'SITE_UNKNOWN' })
  @ApiOkResponse({ description: 'The site connection with credentials (step services only, over the internal service token)', schema: { $ref: getSchemaPath('SiteConnection') } })
  connection(@Param('id') id: string): Promise<SiteConnection> {
    return this.registry.connection(id);
  }
}
