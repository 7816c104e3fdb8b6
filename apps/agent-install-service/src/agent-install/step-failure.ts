import { KscAsyncActionError, KscAuthError, KscMethodError, KscProtocolError } from '@tpo/ksc-client';

/** Ends the step as failed (not a job retry): a KSC answer that another try will not change by itself. */
export class StepFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** `KSC_<module>_<code>`, e.g. KSC_KLSTD_1104: the KSC error code as the step's failure code. */
export function kscErrorCode(e: KscMethodError): string {
  return `KSC_${e.module || 'ERROR'}_${e.code}`.slice(0, 100);
}

/**
 * Classifies an error from a KSC call: a StepFailure when it is a definite answer (method error,
 * refused login, unreadable answer, failed asynchronous action), undefined when it is transient
 * (transport, 5xx, expired session, timeout) and the job runner should try again later.
 */
export function asStepFailure(e: unknown): StepFailure | undefined {
  if (e instanceof StepFailure) return e;
  if (e instanceof KscMethodError) return new StepFailure(kscErrorCode(e), e.message);
  // A refused login is never retried automatically: KSC locks accounts after repeated failures.
  if (e instanceof KscAuthError && e.reason === 'bad_credentials') return new StepFailure('KSC_LOGIN_REFUSED', e.message);
  if (e instanceof KscProtocolError) return new StepFailure('KSC_PROTOCOL_ERROR', e.message);
  if (e instanceof KscAsyncActionError) {
    const code = e.errorCode === undefined ? 'KSC_ACTION_FAILED' : `KSC_${e.errorModule ?? 'ERROR'}_${e.errorCode}`;
    return new StepFailure(code, e.message);
  }
  return undefined;
}

/** The per-device message of a KSC method error (for a failure that concerns one host). */
export function hostErrorMessage(e: KscMethodError): string {
  return `${kscErrorCode(e)}: ${e.serverMessage}`.slice(0, 1000);
}
