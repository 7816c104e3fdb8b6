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

/** Answers per method name: a client calls a few dozen methods, each thousands of times. */
const idempotent = new Map<string, boolean>();

/** Whether a call may be retried and transparently re-sent after a re-login. */
export function isIdempotentMethod(method: string): boolean {
  let known = idempotent.get(method);
  if (known === undefined) {
    const parts = method.split('.');
    known = !NOT_IDEMPOTENT.has(parts.slice(-2).join('.')) && READ_ONLY.test(parts[parts.length - 1] ?? '');
    // A process calls a fixed set of methods; the map stops growing at 1,000 names whatever it is asked.
    if (idempotent.size < 1_000) idempotent.set(method, known);
  }
  return known;
}
