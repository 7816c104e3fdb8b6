import { randomUUID } from 'node:crypto';
import { AmbientSlot } from './ambient-slot';

/** What every log line and every emitted event inherits from the request or event being handled. */
export interface RequestContextData {
  correlationId: string;
  /** Id of the event (or request) that caused the current work. */
  causationId?: string;
  tenantId?: string;
  /** The tenant operation (issue 10) this work belongs to; absent for a tenant's onboarding. */
  operationId?: string;
}

const storage = new AmbientSlot<RequestContextData>();

export const RequestContext = {
  run<T>(data: RequestContextData, fn: () => T): T {
    return storage.run(data, fn);
  },
  current(): RequestContextData | undefined {
    return storage.get();
  },
  /** Correlation id of the current work, or a fresh one when nothing is in scope. */
  correlationId(): string {
    return storage.get()?.correlationId ?? randomUUID();
  },
};

/** Correlation ids arrive from outside: accept only a conservative shape. */
export function sanitizeCorrelationId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(value) ? value : undefined;
}
