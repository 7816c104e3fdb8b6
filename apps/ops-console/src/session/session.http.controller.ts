import { Controller, Get, Inject } from '@nestjs/common';
import { CurrentPrincipal, Principal, roleSatisfies } from '@tpo/platform';
import { OpsConsoleEnv } from '../config/ops-console.env';
import { CONSOLE_CONFIG } from '../tokens';

/** `GET /api/session`: who the token belongs to and what the page may offer them (viewer sees, operator acts). */
@Controller('api/session')
export class SessionHttpController {
  constructor(@Inject(CONSOLE_CONFIG) private readonly config: OpsConsoleEnv) {}

  @Get()
  session(@CurrentPrincipal() principal: Principal) {
    return {
      subject: principal.subject,
      roles: principal.roles,
      sites: principal.sites ?? null,
      canAct: roleSatisfies(principal.roles, 'operator'),
      services: Object.keys(this.config.serviceUrls()),
    };
  }
}
