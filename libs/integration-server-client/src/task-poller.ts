import { PollSchedule, TaskDurations } from '@tpo/kaspersky-http';
import { waitForVendor } from '@tpo/platform';
import { IsTaskFailedError, IsTaskTimeoutError } from './errors';
import { IsTask, TERMINAL_STATES } from './model';

export interface WaitForTaskOptions {
  /** Give up after this long (default 10 minutes: KSC work can take minutes). */
  deadlineMs?: number;
  /** First poll delay (default 40 ms); the pause then grows, see PollSchedule. */
  initialDelayMs?: number;
  /** Longest pause of the plain backoff (default 10 s, §5.5's ~10 s). */
  maxDelayMs?: number;
  /** Durations of earlier tasks per type: a long task is then checked a handful of times. */
  durations?: TaskDurations;
  signal?: AbortSignal;
  /** Called whenever the task changes (state, stage or progress). */
  onProgress?: (task: IsTask) => void;
}

/**
 * Polls until Completed / Failed / Canceled: the first check `initialDelayMs` after the call (a task
 * just created is not over yet), then following the task type's learned duration (PollSchedule),
 * which the first check reveals. Transient errors of a poll are retried by the HTTP layer.
 */
export async function waitForTask(
  getTask: (id: string) => Promise<IsTask>,
  taskId: string,
  options: WaitForTaskOptions = {},
): Promise<IsTask> {
  const started = Date.now();
  const deadlineMs = options.deadlineMs ?? 600_000;
  const deadline = started + deadlineMs;
  const schedule = new PollSchedule({ firstMs: options.initialDelayMs, maxMs: options.maxDelayMs });
  let since = started;
  let last: IsTask | undefined;
  let type: string | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    // Once the task's type is known and no task of that type was seen over yet (a bulk's first
    // wave), the pause ends early when one is (TaskDurations.pause).
    const elapsed = Date.now() - since;
    const left = Math.max(0, deadline - Date.now());
    await waitForVendor(
      type !== undefined && options.durations
        ? options.durations.pause(type, schedule, elapsed, left)
        : Math.min(schedule.next(elapsed), left),
      options.signal,
    );
    const task = await getTask(taskId);
    if (!last || last.state !== task.state || last.progress !== task.progress || last.stage !== task.stage)
      options.onProgress?.(task);
    last = task;
    type = task.type || undefined;
    since = runningSince(task, started);
    if (TERMINAL_STATES.has(task.state)) {
      if (task.type && task.created && task.stateChanged)
        options.durations?.observe(task.type, task.stateChanged.getTime() - task.created.getTime());
      if (task.state === 'Completed') return task;
      throw new IsTaskFailedError(task);
    }
    if (task.type && options.durations) schedule.expect(options.durations.expected(task.type));
    if (Date.now() >= deadline) throw new IsTaskTimeoutError(taskId, last, deadlineMs);
  }
}

/** When the task started: the server's creation time when plausible, else our first poll. */
function runningSince(task: IsTask, fallback: number): number {
  const created = task.created?.getTime();
  return created !== undefined && created <= Date.now() + 1000 && created > fallback - 86_400_000
    ? Math.min(created, Date.now())
    : fallback;
}
