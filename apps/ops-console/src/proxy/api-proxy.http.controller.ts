import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { DomainError, PlatformErrorCode, RequestContext, RequireRole } from '@tpo/platform';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { OpsConsoleEnv } from '../config/ops-console.env';
import { CONSOLE_CONFIG, CONSOLE_LOGGER } from '../tokens';
import { allowedCall } from './api-routes';

/**
 * `/api/<service>/v1/...`: forwards the allow-listed calls (api-routes.ts) to the service with the
 * caller's own credentials and returns the service's answer as it is (its status and its error
 * body), so what the page shows is the platform's message.
 */
@Controller('api/svc/:service')
export class ApiProxyHttpController {
  private readonly services: Record<string, string>;

  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: OpsConsoleEnv,
    @Inject(CONSOLE_LOGGER) private readonly logger: Logger,
  ) {
    this.services = config.serviceUrls();
  }

  @Get('*path')
  get(@Param('service') service: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(service, req, res);
  }

  /** The console lets any signed-in user try; the service decides with the caller's own role (retry/replay: operator). */
  @Post('*path')
  @RequireRole('viewer')
  post(@Param('service') service: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.forward(service, req, res);
  }

  private async forward(service: string, req: Request, res: Response): Promise<void> {
    const base = this.services[service];
    const prefix = `/api/svc/${service}`;
    const path = req.path.slice(prefix.length);
    const query = req.query as Record<string, unknown>;
    if (!base || !allowedCall(req.method, service, path, query))
      throw new DomainError(
        PlatformErrorCode.NotFound,
        `${req.method} ${path} of ${service} is not available in the console`,
      );
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-correlation-id': RequestContext.current()?.correlationId ?? '',
    };
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    if (typeof req.headers['x-api-key'] === 'string') headers['x-api-key'] = req.headers['x-api-key'];
    const search = new URLSearchParams(
      Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    let answer: globalThis.Response;
    try {
      answer = await fetch(`${base}${path}${search ? `?${search}` : ''}`, {
        method: req.method,
        headers,
        signal: AbortSignal.timeout(this.config.PROXY_TIMEOUT_MS),
      });
    } catch (e) {
      this.logger.warn({ service, err: (e as Error).message }, 'service call failed');
      throw new DomainError(PlatformErrorCode.Unavailable, `${service} cannot be reached`);
    }
    const body = await answer.text();
    res
      .status(answer.status)
      .type(answer.headers.get('content-type') ?? 'application/json')
      .set('cache-control', 'no-store');
    const auth = answer.headers.get('www-authenticate');
    if (auth) res.set('www-authenticate', auth);
    res.send(body);
  }
}
