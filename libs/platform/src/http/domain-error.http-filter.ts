import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
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

/**
 * The single HTTP exception filter: domain errors by code, Nest's HTTP exceptions as they are,
 * everything else 500 without internals (the log line has the details).
 */
@Catch()
export class DomainErrorHttpFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  constructor(private readonly statusByCode: HttpStatusMap = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const correlationId = RequestContext.current()?.correlationId;
    if (exception instanceof DomainError) {
      const status =
        this.statusByCode[exception.code] ??
        PLATFORM_STATUS[exception.code as PlatformErrorCode] ??
        HttpStatus.UNPROCESSABLE_ENTITY;
      res.status(status).json({
        error: { code: exception.code, message: exception.message, details: exception.options.details },
        correlationId,
      });
      return;
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      res.status(exception.getStatus()).json({
        error: {
          code: HttpStatus[exception.getStatus()] ?? 'HTTP_ERROR',
          message: Array.isArray(message) ? 'Validation failed' : message,
          details: Array.isArray(message) ? { fields: message } : undefined,
        },
        correlationId,
      });
      return;
    }
    this.logger.error({ err: exception }, 'unhandled error');
    res
      .status(HttpStatus.INTERNAL_SERVER_ERROR)
      .json({ error: { code: 'INTERNAL', message: 'Internal error' }, correlationId });
  }
}
