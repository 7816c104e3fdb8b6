import { KscMethodError } from '@tpo/ksc-client';
import { classifyVendorError, kscErrorCode as kscCode } from '@tpo/vendor-failures';

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

/** `KSC_<module>_<code>`, e.g. KSC_KLSTD_1104: the KSC error code as the step's failure code (one spelling, shared). */
export function kscErrorCode(e: KscMethodError): string {
  return kscCode(e.module, e.code);
}

/**
 * Classifies an error from a KSC call with the shared vendor classifier: a StepFailure when it is a
 * definite answer, undefined when it is transient and the job runner should try again later.
 */
export function asStepFailure(e: unknown): StepFailure | undefined {
  if (e instanceof StepFailure) return e;
  const c = classifyVendorError(e);
  return c.kind === 'permanent' ? new StepFailure(c.code, c.message, c.retryable) : undefined;
}

/** The per-device message of a KSC method error (for a failure that concerns one host). */
export function hostErrorMessage(e: KscMethodError): string {
  return `${kscErrorCode(e)}: ${e.serverMessage}`.slice(0, 1000);
}
