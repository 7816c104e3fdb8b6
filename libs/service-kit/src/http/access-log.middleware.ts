import { RequestContext } from '@tpo/platform';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Level, Logger } from 'pino';

const UNLOGGED = (url: string) => url === '/metrics' || url.startsWith('/health');

/**
 * Reads are the hot path (dashboards, pollers): debug. Changes stay at info (they are audited too);
 * client errors warn, server errors error.
 */
export function accessLogLevel(method: string, status: number): Level {
  if (status >= 500) return 'error';
  if (status >= 400) return 'warn';
  return method === 'GET' || method === 'HEAD' ? 'debug' : 'info';
}

/**
 * One log line per answered request (`{req: {method, url}, res: {statusCode}, responseTime}`,
 * "request completed" / "request errored"), in the request's correlation context. Bodies and headers
 * are never logged. Replaces pino-http, which built a child logger (bindings serialised through the
 * redaction list) and three listeners for every request even when the line was below the level;
 * here a request whose line would be dropped costs one listener and a level check.
 */
export function accessLogMiddleware(logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const url = req.originalUrl ?? req.url ?? '';
    if (UNLOGGED(url)) return next();
    const started = Date.now();
    const ctx = RequestContext.current();
    // 'close' follows 'finish', and also comes alone when the client went away first.
    res.once('close', () => {
      const status = res.statusCode;
      const level = accessLogLevel(req.method, status);
      if (!logger.isLevelEnabled(level)) return;
      const line = () =>
        logger[level](
          {
            req: { method: req.method, url },
            res: { statusCode: status },
            responseTime: Date.now() - started,
            ...(res.writableFinished ? {} : { aborted: true }),
          },
          status >= 500 ? 'request errored' : 'request completed',
        );
      if (ctx) RequestContext.run(ctx, line);
      else line();
    });
    next();
  };
}
