import { IsTaskFailedError, IsTaskTimeoutError } from './errors';
import { IsTask, TERMINAL_STATES } from './model';

export interface WaitForTaskOptions {
  /** Give up after this long (default 10 minutes: KSC work can take minutes). */
  deadlineMs?: number;
  /** First poll delay; grows by half each poll up to `maxDelayMs` (§5.5: 1-2 s backing off to ~10 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Called whenever the task changes (state, stage or progress). */
  onProgress?: (task: IsTask) => void;
}

/** Polls until Completed / Failed / Canceled. Transient errors of a poll are retried by the HTTP layer. */
export async function waitForTask(getTask: (id: string) => Promise<IsTask>, taskId: string, options: WaitForTaskOptions = {}): Promise<IsTask> {
  const deadline = Date.now() + (options.deadlineMs ?? 600_000);
  let delay = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 5000;
  let last: IsTask | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    const task = await getTask(taskId);
    if (!last || last.state !== task.state || last.progress !== task.progress || last.stage !== task.stage) options.onProgress?.(task);
    last = task;
    if (TERMINAL_STATES.has(task.state)) {
      if (task.state === 'Completed') return task;
      throw new IsTaskFailedError(task);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new IsTaskTimeoutError(taskId, last, options.deadlineMs ?? 600_000);
    await sleep(Math.min(delay, remaining), options.signal);
    // Gentle growth: a doubling backoff overshoots a 5-10 s task by as much again.
    delay = Math.min(max, Math.round(delay * 1.5));
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
