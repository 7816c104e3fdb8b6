/** `<Class>.<Method>` or `<Instance>.<Class>.<Method>`; names are case-sensitive (§1.1). */
export const METHOD_NAME = /^(?:[A-Za-z_]\w*\.)?[A-Za-z_]\w*\.[A-Za-z_]\w*$/;

// Reads that change nothing on the server, safe to repeat after a lost answer. CheckActionState is
// not: a finalized action is gone after the first answer (§3.5).
const READ_ONLY = /^(Get|Find|GroupId|Ping$|ProtectUtf16StringGlobally$|IsMethodPresent$)/;
const NOT_IDEMPOTENT = new Set([
  'AsyncActionStateChecker.CheckActionState',
  'Session.StartSession',
  'Session.CreateToken',
]);

/** Whether a call may be retried and transparently re-sent after a re-login. */
export function isIdempotentMethod(method: string): boolean {
  const parts = method.split('.');
  return !NOT_IDEMPOTENT.has(parts.slice(-2).join('.')) && READ_ONLY.test(parts[parts.length - 1] ?? '');
}
