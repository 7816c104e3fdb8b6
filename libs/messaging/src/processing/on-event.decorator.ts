import { applyDecorators, ArgumentsHost, Catch, RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { EventDefinition } from '@tpo/contracts';
import { Observable, throwError } from 'rxjs';
import type { EventHandlerOptions } from './event-processor';

/**
 * Nest's default RPC filter turns every error into a generic "Internal server error", which would
 * hide whether a failure is transient or poison. This filter hands the original error to the
 * JetStream transport, whose processor is the one place that maps errors to ack/retry/dead-letter.
 */
@Catch()
export class PassErrorsToTransportFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Marks a controller method as the handler of one event (its payload arrives validated). With
 * `claimsInbox`, the handler gets the event's InboxClaim as its context argument (`@Ctx()`) and
 * writes the inbox row in its own single statement (see EventHandlerOptions).
 */
export function OnEvent(definition: EventDefinition, options: EventHandlerOptions = {}): MethodDecorator {
  return applyDecorators(
    EventPattern(definition.key, options.claimsInbox ? { claimsInbox: true } : {}),
    UseFilters(new PassErrorsToTransportFilter()),
  );
}

/** Pattern of the rejection handler of an event (see `OnInvalidEvent`). */
export function invalidPatternOf(definition: Pick<EventDefinition, 'key'>): string {
  return `${definition.key}#invalid`;
}

/**
 * Marks the handler for well-formed events of `definition` whose payload fails validation. It gets
 * the envelope (raw data) and the reasons, runs in the inbox transaction, and the message is acked.
 * Without one, such events are dead-lettered.
 */
export function OnInvalidEvent(definition: EventDefinition): MethodDecorator {
  return applyDecorators(EventPattern(invalidPatternOf(definition)), UseFilters(new PassErrorsToTransportFilter()));
}
