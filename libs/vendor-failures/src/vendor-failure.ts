import {
  IntegrationServerAuthError,
  IntegrationServerError,
  IntegrationServerProtocolError,
  IsTaskFailedError,
  IsTaskTimeoutError,
  XmlSafetyError,
} from '@tpo/integration-server-client';
import { HttpStatusError, KasperskyTransportError } from '@tpo/kaspersky-http';
import {
  KscAsyncActionError,
  KscAuthError,
  KscHttpError,
  KscMethodError,
  KscProtocolError,
  KscTimeoutError,
} from '@tpo/ksc-client';
import { DomainError, redactSecretsInText } from '@tpo/platform';

/**
 * What an error from a Kaspersky call means for the step that made it.
 * - `transient`: the server may answer differently later (network, timeout, 429, 5xx, lost
 *   session, task still running at the deadline): back off and try again.
 * - `permanent`: a definite answer; trying again now gives the same answer. The step fails at once
 *   with `code` (the vendor's own code when there is one). `retryable` says whether a later
 *   operator retry can help without changing the input (e.g. after fixing the site's credentials);
 *   a vendor validation error (4xx with a vendor code) is `retryable: false`.
 */
export type VendorFailure =
  | { readonly kind: 'transient'; readonly code: string; readonly message: string }
  | { readonly kind: 'permanent'; readonly code: string; readonly message: string; readonly retryable: boolean };

/** Integration Server task codes after which a retry cannot help without a change of input. */
export const IS_TASK_CODES_NEEDING_INPUT_CHANGE: ReadonlySet<string> = new Set([
  'VIRMT_TenantGroupAlreadyExists',
  'VIRMT_InvalidTenantType',
  'VIRMT_MandatoryParameterIsNotSpecified',
  'VIRMT_VKscCredentialsNotSpecified',
  'VIRMT_InvalidViisAddressFormat',
]);

export interface ClassifyOptions {
  /** Secrets the caller sent (e.g. the admin password): scrubbed from the message in every form. */
  knownSecrets?: readonly string[];
}

const transient = (code: string, message: string): VendorFailure => ({ kind: 'transient', code, message });
const permanent = (code: string, message: string, retryable: boolean): VendorFailure => ({
  kind: 'permanent',
  code,
  message,
  retryable,
});

/** `KSC_<MODULE>_<code>`, e.g. KSC_KLSTD_1104: a KSC method error's code as a step failure code. */
export function kscErrorCode(module: string | undefined, code: number | string): string {
  const m = (module || 'ERROR').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return `KSC_${m}_${code}`.slice(0, 100);
}

/** The one classifier of errors from the Integration Server and KSC clients, used by every step. */
export function classifyVendorError(error: unknown, options: ClassifyOptions = {}): VendorFailure {
  const c = classifyRaw(error);
  return { ...c, message: redactSecretsInText(c.message, options.knownSecrets) };
}

/** True for failures that should be retried by backing off, not recorded as the step's outcome. */
export function isTransientVendorError(error: unknown): boolean {
  return classifyRaw(error).kind === 'transient';
}

function classifyRaw(e: unknown): VendorFailure {
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof DomainError) return e.retryable ? transient(e.code, msg) : permanent(e.code, msg, false);
  // ---- Integration Server
  if (e instanceof IsTaskFailedError) {
    const code = e.code ?? 'IS_TASK_FAILED';
    return permanent(code, e.task.error?.message ?? msg, !IS_TASK_CODES_NEEDING_INPUT_CHANGE.has(code));
  }
  if (e instanceof IsTaskTimeoutError) return transient('IS_TASK_TIMEOUT', msg);
  // Refused credentials: repeating the call cannot help until someone fixes the site's account.
  if (e instanceof IntegrationServerAuthError) return permanent('IS_AUTH_REFUSED', msg, true);
  if (e instanceof IntegrationServerError) {
    if (e.retryable) return transient(`IS_HTTP_${e.status}`, msg);
    return permanent(e.code ?? `IS_HTTP_${e.status}`, msg, false);
  }
  if (e instanceof IntegrationServerProtocolError) return permanent('IS_PROTOCOL_ERROR', msg, true);
  if (e instanceof XmlSafetyError) return permanent('VENDOR_INPUT_REJECTED', msg, false);
  // ---- KSC Open API
  if (e instanceof KscMethodError) return permanent(kscErrorCode(e.module, e.code), msg, true);
  if (e instanceof KscAuthError) {
    // A refused login is never repeated automatically: KSC locks accounts after repeated failures.
    return e.reason === 'bad_credentials'
      ? permanent('KSC_LOGIN_REFUSED', msg, true)
      : transient('KSC_SESSION_LOST', msg);
  }
  if (e instanceof KscAsyncActionError) {
    return permanent(
      e.errorCode === undefined ? 'KSC_ACTION_FAILED' : kscErrorCode(e.errorModule, e.errorCode),
      msg,
      true,
    );
  }
  if (e instanceof KscProtocolError) return permanent('KSC_PROTOCOL_ERROR', msg, true);
  if (e instanceof KscTimeoutError) return transient('KSC_TIMEOUT', msg);
  if (e instanceof KscHttpError) return byStatus('KSC', e.status, msg);
  // ---- transport
  if (e instanceof HttpStatusError) return byStatus('VENDOR', e.status, msg);
  if (e instanceof KasperskyTransportError) {
    if (e.kind === 'tls') return permanent('VENDOR_TLS_REJECTED', msg, true);
    if (e.kind === 'too_large') return permanent('VENDOR_RESPONSE_TOO_LARGE', msg, true);
    if (e.kind === 'address_refused') return permanent('VENDOR_ADDRESS_REFUSED', msg, true);
    return transient(`VENDOR_${e.kind.toUpperCase()}`, msg);
  }
  // Unknown (a bug, a lost database connection): retried with backoff up to the job's limit.
  return transient('UNEXPECTED_ERROR', msg);
}

function byStatus(prefix: string, status: number, msg: string): VendorFailure {
  if (status === 429 || status >= 500) return transient(`${prefix}_HTTP_${status}`, msg);
  return permanent(`${prefix}_HTTP_${status}`, msg, false);
}
