import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';
import { RequestContext } from '../context/request-context';

/**
 * Paths pino removes from every log line. Secrets must also never be passed to a logger in the
 * first place; this is the safety net (passwords, Authorization headers, Kaspersky bodies).
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'adminPassword',
  '*.adminPassword',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-ksc-session"]',
  'res.headers["set-cookie"]',
  'vKsc.user.password',
  '*.vKsc.user.password',
  'requestBody',
  '*.requestBody',
  'responseBody',
  '*.responseBody',
  // Vendor error bodies (HttpStatusError/KscHttpError keep them non-enumerable; this is the net).
  'err.body',
  'err.cause.body',
  '*.err.body',
];

export function createLogger(
  service: string,
  level: LoggerOptions['level'] = 'info',
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level,
      base: { service },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const ctx = RequestContext.current();
        return ctx ? { correlationId: ctx.correlationId, causationId: ctx.causationId, tenantId: ctx.tenantId } : {};
      },
    },
    destination ?? pino.destination(1),
  );
}
