import { setMaxListeners } from 'node:events';

/** A signal that aborts when any source aborts or the deadline passes; `dispose` when the work is over. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Unhooks from every source and clears the deadline: nothing of this signal stays reachable from them. */
  dispose(): void;
}

/**
 * `AbortSignal.any` (plus `AbortSignal.timeout`) without what they leave behind on Node 20:
 * `AbortSignal.any` adds a WeakRef to every source's dependants and never removes it, so each call
 * with a long-lived source (a runner's shutdown signal, cockatiel's shared never-aborted signal)
 * kept ~70 bytes for the life of the process; `AbortSignal.timeout` keeps its timer until it fires.
 * Here the sources get a plain listener that `dispose` removes, and the deadline is a timer that
 * `dispose` clears. A deadline aborts with a `TimeoutError` like `AbortSignal.timeout`.
 */
export function linkSignals(sources: readonly (AbortSignal | undefined)[], timeoutMs?: number): LinkedSignal {
  const controller = new AbortController();
  const live = sources.filter((s): s is AbortSignal => s !== undefined);
  const onAbort = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => controller.abort(new DOMException(`The operation timed out after ${timeoutMs} ms`, 'TimeoutError')),
          timeoutMs,
        );
  timer?.unref();
  const dispose = () => {
    if (timer) clearTimeout(timer);
    for (const s of live) s.removeEventListener('abort', onAbort);
  };
  for (const s of live) {
    // A long-lived source (a runner's shutdown signal, cockatiel's shared signal) legitimately has one
    // listener per job or call in flight, each removed by its `dispose`: Node's "possible
    // EventTarget memory leak" warning at 11 listeners would be a false alarm printed by every busy
    // service, so the sources linked here have no such limit (the spec proves the listeners go).
    setMaxListeners(0, s);
    if (s.aborted) {
      controller.abort(s.reason);
      dispose();
      break;
    }
    s.addEventListener('abort', onAbort, { once: true });
  }
  // Unhook from the other sources as soon as one of them (or the deadline) aborts; with no source
  // there is nothing to unhook, and the caller's `dispose` clears the timer (most vendor calls).
  if (live.length > 0) controller.signal.addEventListener('abort', dispose, { once: true });
  return { signal: controller.signal, dispose };
}
