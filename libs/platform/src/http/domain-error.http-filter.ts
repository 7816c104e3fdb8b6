import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { DomainError, PlatformErrorCode } from '../errors/domain-error';
import { RequestContext } from '../context/request-context';

/** Maps shared platform codes to HTTP statuses; services pass their own code map. */
export type HttpStatusMap = Record<string, HttpStatus>;

const PLATFORM_STATUS: Record<PlatformErrorCode, HttpStatus> = {
  [PlatformErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [PlatformErrorCode.Conflict]: HttpStatus.CONFLICT,
  [PlatformErrorCode.InvalidInput]: HttpStatus.BAD_REQUEST,
  [PlatformErrorCode.InvalidState]: HttpStatus.CONFLICT,
  [PlatformErrorCode.Unavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [PlatformErrorCode.Forbidden]: HttpStatus.FORBIDDEN,
};

/** The code of the error a body parser raises for a malformed JSON body. */
export const MALFORMED_JSON = 'MALFORMED_JSON';

/**
 * Client errors the HTTP server raises itself before any handler runs (Fastify's `FST_*` errors: body
 * too large, unsupported media type; and malformed JSON): their status, a stable code and a fixed
 * message, never the server's own text.
 */
function serverClientError(e: unknown): { status: number; code: string; message: string } | undefined {
  if (!(e instanceof Error)) return undefined;
  const { statusCode: status, code } = e as { statusCode?: unknown; code?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499 || typeof code !== 'string') return undefined;
  if (code === MALFORMED_JSON) return { status, code, message: 'request body is not valid JSON' };
  if (!code.startsWith('FST_')) return undefined;
  if (status === 413) return { status, code: 'PAYLOAD_TOO_LARGE', message: 'request body exceeds the size limit' };
  if (status === 415)
    return { status, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'request bodies must be application/json' };
  return { status, code: HttpStatus[status] ?? 'BAD_REQUEST', message: 'the request could not be read' };
}

/** Express (`status().json()`) or Fastify (`code().send()`): the ops console still runs on Express. */
interface AnyResponse {
  status(code: number): AnyResponse;
  json?: (body: unknown) => unknown;
  header(name: string, value: string): unknown;
  send(body: unknown): unknown;
}

function answer(res: AnyResponse, status: number, body: unknown): void {
  const r = res.status(status);
  if (typeof r.json === 'function') {
    r.json(body);
    return;
  }
  // A route may have declared another type for its success (e.g. text/csv): an error is JSON.
  r.header('content-type', 'application/json; charset=utf-8');
  r.send(body);
}

/**
 * The single HTTP exception filter: domain errors by code, Nest's HTTP exceptions as they are,
 * everything else 500 without internals (the log line has the details).
 */
@Catch()
export class DomainErrorHttpFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  constructor(private readonly statusByCode: HttpStatusMap = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<AnyResponse>();
    const correlationId = RequestContext.current()?.correlationId;
    if (exception instanceof DomainError) {
      const status =
        this.statusByCode[exception.code] ??
        PLATFORM_STATUS[exception.code as PlatformErrorCode] ??
        HttpStatus.UNPROCESSABLE_ENTITY;
      answer(res, status, {
        error: { code: exception.code, message: exception.message, details: exception.options.details },
        correlationId,
      });
      return;
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      answer(res, exception.getStatus(), {
        error: {
          code: HttpStatus[exception.getStatus()] ?? 'HTTP_ERROR',
          message: Array.isArray(message) ? 'Validation failed' : message,
          details: Array.isArray(message) ? { fields: message } : undefined,
        },
        correlationId,
      });
      return;
    }
    const clientError = serverClientError(exception);
    if (clientError) {
      const { status, code, message } = clientError;
      answer(res, status, { error: { code, message }, correlationId });
      return;
    }
    this.logger.error({ err: exception }, 'unhandled error');
    answer(res, HttpStatus.INTERNAL_SERVER_ERROR, {
      error: { code: 'INTERNAL', message: 'Internal error' },
      correlationId,
    });
  }
}
