import { TaskDurations } from '@tpo/kaspersky-http';
import { KscMethodError, TasksApi } from '@tpo/ksc-client';
import { waitForVendor } from '@tpo/platform';
import type { Logger } from 'pino';
import { classifyHostStatus, HostOutcome } from './host-outcome';
import { InstallSettings } from './install-settings';
import { hostErrorMessage } from './step-failure';

export type { HostOutcome };

const FIRST_POLL_MS = 40;

/** What device tasks of each kind took on this process's sites: polling follows it (PollSchedule). */
const DURATIONS = new TaskDurations();

/**
 * One device-list KSC task from creation to cleanup (ksc-openapi.md §3.6): devices added one by
 * one (a device KSC refuses fails alone), run, statistics polled (first soon, then following what
 * tasks of this kind took before) until no device is pending or running or the deadline passes
 * (stragglers are cancelled), per-device outcomes read from the host-status iterator (state bits
 * and state_descr, addendum §1.5), then the task is deleted (§5 C10).
 */
export class DeviceTask {
  constructor(
    private readonly tasks: TasksApi,
    readonly taskId: string,
    private readonly settings: InstallSettings,
    private readonly logger: Logger,
    /** Kind of task (e.g. `reconnection`, `remote-install`) whose learned duration drives polling. */
    private readonly kind = 'device-task',
  ) {}

  /** AddHostToTask per device; returns the devices KSC refused, with its reason. */
  async attach(hostIds: string[]): Promise<Map<string, string>> {
    const refused = new Map<string, string>();
    for (const id of hostIds) {
      try {
        await this.tasks.addHostToTask(this.taskId, id);
      } catch (e) {
        if (!(e instanceof KscMethodError)) throw e;
        refused.set(id, hostErrorMessage(e));
      }
    }
    return refused;
  }

  /** Set when this process created the task and has not run it yet: `run` needs no statistics check then. */
  private createdHere = false;

  /** The task was created by this execution (AddTask just now), so it cannot have run. */
  markCreatedHere(): void {
    this.createdHere = true;
  }

  /**
   * RunTask unless the task already ran (a task recorded by an earlier execution: it may have run
   * before a restart): a task that ran has per-device states, one never run has none. A task this
   * execution created itself is run without that check. A task that no longer exists is left to
   * `outcomes`, which reports it. Returns when it ran (epoch ms).
   */
  async run(): Promise<number> {
    if (this.createdHere) {
      this.createdHere = false;
      await this.tasks.runTask(this.taskId);
      return Date.now();
    }
    let s;
    try {
      s = await this.tasks.statistics(this.taskId);
    } catch (e) {
      if (e instanceof KscMethodError) return Date.now();
      throw e;
    }
    const seen = s.pending + s.running + s.completed + s.completedWithWarning + s.failed + s.scheduled + s.paused;
    if (seen === 0) await this.tasks.runTask(this.taskId);
    else this.logger.info({ taskId: this.taskId }, 'KSC task already ran; not running it again');
    return Date.now();
  }

  /**
   * Waits for the task and returns each device's outcome, or undefined when the task no longer
   * exists on the server (deleted behind our back, or a restart after its cleanup).
   */
  async outcomes(
    hostIds: string[],
    startedAt: number,
    signal: AbortSignal,
    failCode = 'TASK_FAILED',
  ): Promise<Map<string, HostOutcome> | undefined> {
    const deadline = startedAt + this.settings.taskDeadlineMs;
    const schedule = DURATIONS.schedule(this.kind, { firstMs: FIRST_POLL_MS, maxMs: this.settings.pollMaxIntervalMs });
    // When the task was last seen still running (ms after its start); undefined before the first check.
    let runningAt: number | undefined;
    for (;;) {
      signal.throwIfAborted();
      // A pause before every check, the first too: a task just run is not over yet (PollSchedule).
      // While no task of this kind was seen over (a bulk's first wave), the pause ends early once one is.
      await waitForVendor(DURATIONS.pause(this.kind, schedule, Date.now() - startedAt, deadline - Date.now()), signal);
      const checkedAt = Date.now() - startedAt;
      let s;
      try {
        s = await this.tasks.statistics(this.taskId);
      } catch (e) {
        if (runningAt === undefined && e instanceof KscMethodError) return undefined;
        throw e;
      }
      if (s.pending + s.running === 0 && s.completed + s.completedWithWarning + s.failed > 0) {
        if (runningAt !== undefined) DURATIONS.observeBetween(this.kind, runningAt, checkedAt);
        return this.readStatuses(hostIds, false, failCode);
      }
      runningAt = checkedAt;
      if (Date.now() >= deadline) {
        this.logger.warn(
          { taskId: this.taskId, pending: s.pending, running: s.running },
          'KSC task past its deadline; cancelling it on the remaining devices',
        );
        // Results first: the cancellation itself ends the stragglers as failed ("stopped").
        const outcomes = await this.readStatuses(hostIds, true, failCode);
        await this.tasks.cancelTask(this.taskId).catch((e: unknown) => {
          if (!(e instanceof KscMethodError)) throw e;
        });
        return outcomes;
      }
    }
  }

  /** Each device's host-status record, classified; a device without one failed with `failCode`. */
  private async readStatuses(
    hostIds: string[],
    timedOut: boolean,
    failCode: string,
  ): Promise<Map<string, HostOutcome>> {
    const wanted = new Set(hostIds);
    const out = new Map<string, HostOutcome>();
    for (const s of await this.tasks.hostStatusList(this.taskId)) {
      if (typeof s.hostname !== 'string' || !wanted.has(s.hostname)) continue;
      const o = classifyHostStatus(s, failCode);
      // Still pending or running at the deadline: reported below as not finished.
      if (o.ok || (typeof s.state_code === 'number' && (s.state_code & 0x1c) !== 0)) out.set(s.hostname, o);
    }
    const missing = timedOut
      ? `the task did not finish on this device within ${Math.round(this.settings.taskDeadlineMs / 1000)} s (its Network Agent may be offline)`
      : 'KSC reported no result for this device';
    for (const id of hostIds) if (!out.has(id)) out.set(id, { ok: false, code: failCode, message: missing });
    return out;
  }

  /** Best effort: a task left behind is harmless but clutters the console. */
  async delete(): Promise<void> {
    try {
      await this.tasks.deleteTask(this.taskId);
    } catch (e) {
      this.logger.warn(
        { taskId: this.taskId, err: e instanceof Error ? e.message : String(e) },
        'could not delete the KSC task',
      );
    }
  }
}
