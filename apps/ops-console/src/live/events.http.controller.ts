import { Controller, Get, Req, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { CurrentPrincipal, Principal } from '@tpo/platform';
import type { Request, Response } from 'express';
import { decodeJwt } from 'jose';
import { LiveEventsService } from './live-events.service';
import { visibleTo } from './live-event';

const HEARTBEAT_MS = 15_000;

/** When the caller's bearer token expires (ms since epoch); API keys do not. */
function expiryOf(req: Request): number | undefined {
  const m = /^Bearer\s+(\S+)$/.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const exp = decodeJwt(m[1]).exp; // already verified by the guard
  return exp ? exp * 1000 : undefined;
}

/**
 * `GET /api/events`: server-sent events, one `tenant` event per platform event about a tenant the
 * caller may see. Viewer role. The stream ends with an `expired` event when the token expires, so
 * the page asks for a new one instead of going quiet.
 */
@Controller('api/events')
export class EventsHttpController {
  constructor(private readonly live: LiveEventsService) {}

  @Get()
  @SkipThrottle()
  stream(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() principal?: Principal): void {
    res.status(200).set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    const subscription = this.live.stream.subscribe((e) => {
      if (visibleTo(e, principal?.sites)) res.write(`event: tenant\ndata: ${JSON.stringify(e)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const expiresAt = expiryOf(req);
    const expiry = expiresAt
      ? setTimeout(
          () => {
            res.write('event: expired\ndata: {"message":"your session has expired; sign in again"}\n\n');
            res.end();
          },
          Math.max(0, expiresAt - Date.now()),
        )
      : undefined;
    req.on('close', () => {
      subscription.unsubscribe();
      clearInterval(heartbeat);
      clearTimeout(expiry);
    });
  }
}
