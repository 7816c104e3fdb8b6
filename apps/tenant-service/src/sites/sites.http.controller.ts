import { Body, Controller, Get, HttpCode, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiTags,
  ApiUnprocessableEntityResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { CurrentPrincipal, ErrorBody, Principal, Public, RequireRole, SiteScoped } from '@tpo/platform';
import type { FastifyRequest } from 'fastify';
import { SiteListResponse, SitePreflightResponse, SiteResponse } from './site.response';
import { toPreflightView } from './site-registry.service';
import { SitePreflightService } from './site-preflight.service';
import { SiteConnection } from '@tpo/site-directory';
import { internalCallerOf, InternalTokenGuard } from './internal-token.guard';
import { RegisterSiteCommand, SetSiteFlagsCommand } from './register-site.command';
import { SiteRegistry } from './site-registry.service';

/** Admin REST for sites (a site = one KSC + its Integration Server). Credentials are write-only. Site-scoped. */
@Controller('v1/sites')
@SiteScoped()
@ApiTags('sites')
export class SitesHttpController {
  constructor(
    private readonly registry: SiteRegistry,
    private readonly preflight: SitePreflightService,
  ) {}

  @Get()
  @ApiOkResponse({
    type: SiteListResponse,
    description: 'Every registered site with capacity and placement eligibility',
  })
  async list(@CurrentPrincipal() principal?: Principal) {
    return { items: await this.registry.list(principal) };
  }

  @Get(':id')
  @ApiOkResponse({
    type: SiteResponse,
    description: 'One site with capacity, placement eligibility, deployment and last preflight',
  })
  @ApiNotFoundResponse({ type: ErrorBody, description: "NOT_FOUND: no such site in the caller's sites" })
  async get(@Param('id') id: string, @CurrentPrincipal() principal?: Principal) {
    return this.registry.view(id, principal);
  }

  /** Registers or updates a site; its passwords are encrypted at rest and never returned. */
  @Post()
  @HttpCode(201)
  @RequireRole('admin')
  @ApiCreatedResponse({ type: SiteResponse, description: 'The site as stored (credentials are write-only)' })
  async register(@Body() command: RegisterSiteCommand, @CurrentPrincipal() principal?: Principal) {
    const site = await this.registry.register(command, 'api', principal);
    // Checked right away, without making the admin wait for the vendor servers (GET shows the result).
    this.preflight.runInBackground(site.id, 'registration');
    return (await this.registry.list(principal)).find((s) => s.id === site.id);
  }

  /** Checks now whether the site can onboard, item by item; the result is stored, shown with the site and announced. */
  @Post(':id/preflight')
  @HttpCode(200)
  @RequireRole('operator')
  @ApiOkResponse({
    type: SitePreflightResponse,
    description: 'The preflight just run: passed or failed, with every item',
  })
  @ApiUnprocessableEntityResponse({ type: ErrorBody, description: 'SITE_UNKNOWN' })
  async runPreflight(@Param('id') id: string, @CurrentPrincipal() principal?: Principal) {
    return toPreflightView(await this.preflight.runForCaller(id, principal));
  }

  @Patch(':id')
  @RequireRole('admin')
  @ApiOkResponse({ type: SiteResponse, description: 'The site after the change' })
  @ApiUnprocessableEntityResponse({ type: ErrorBody, description: 'SITE_UNKNOWN' })
  async setFlags(
    @Param('id') id: string,
    @Body() command: SetSiteFlagsCommand,
    @CurrentPrincipal() principal?: Principal,
  ) {
    await this.registry.setFlags(id, command, principal);
    return (await this.registry.list(principal)).find((s) => s.id === id);
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
  @ApiOkResponse({
    description:
      "The site connection with credentials (step services only, with a short-lived token signed with the service's own key; every read audited)",
    schema: { $ref: getSchemaPath('SiteConnection') },
  })
  connection(@Param('id') id: string, @Req() req: FastifyRequest): Promise<SiteConnection> {
    return this.registry.connection(id, { service: internalCallerOf(req) ?? 'unknown', sourceIp: req.ip ?? null });
  }
}
