import type { VendorPause } from '@tpo/platform';
/**
 * How long to wait before the next check of a vendor task (issue 11: no fixed sleeps). Callers ask
 * for a pause before every check, the first included: a task just created cannot be over yet, so
 * the first check comes `firstMs` after the start (a task that is over in 50 ms is seen within ~100
 * ms, one that fails at once within `firstMs`); then the pause grows (times `factor`) and, without a
 * learned expectation, never exceeds `maxMs` or a quarter of the time already waited (so a long task
 * is checked a few dozen times, not every few seconds). With an expected duration (learned from
 * earlier tasks of the same kind) the schedule jumps from that first check straight to 90% of it and
 * then checks every 5% of it (longer once overdue): a 5 s task costs four checks, a 10-minute
 * install a handful.
 */
export interface PollScheduleOptions {
  firstMs?: number;
  factor?: number;
  /** Longest pause of the plain backoff (it may grow past this with the time already waited). */
  maxMs?: number;
  /** Expected duration of this kind of task, e.g. from TaskDurations. */
  expectedMs?: number;
}

export class PollSchedule {
  private checks = 0;
  private readonly first: number;
  private readonly factor: number;
  private readonly max: number;

  private expected: number | undefined;

  constructor(options: PollScheduleOptions = {}) {
    this.first = options.firstMs ?? 40;
    this.factor = options.factor ?? 1.5;
    this.max = options.maxMs ?? 10_000;
    this.expected = options.expectedMs;
  }

  /**
   * Sets the expected duration once it is known (e.g. from the task's kind, which the first check
   * reveals), keeping the checks already made; an expectation given earlier is kept.
   */
  expect(expectedMs: number | undefined): this {
    this.expected ??= expectedMs;
    return this;
  }

  /** Whether an expected duration drives the checks (given, or set by `expect`). */
  get informed(): boolean {
    return this.expected !== undefined && this.expected > 0;
  }

  /**
   * The rest of a pause cut short because the expected duration just became known (`expect` first):
   * until 90% of it, or none when the task is already past that. The check then counts as planned.
   */
  restAfterLearning(elapsedMs: number): number {
    return this.informed ? Math.max(0, Math.round(0.9 * this.expected! - elapsedMs)) : Infinity;
  }

  /** The pause before the next check, given how long the task has been running (ms). */
  next(elapsedMs: number): number {
    const i = this.checks++;
    const backoff = Math.min(Math.max(this.max, elapsedMs / 4), this.first * this.factor ** i);
    const expected = this.expected;
    if (i === 0 || expected === undefined || expected <= 0) return Math.round(Math.max(1, backoff));
    const lead = 0.9 * expected - elapsedMs;
    if (lead > backoff) return Math.round(lead);
    // Near the expected end: every 5% of it; past it, pauses grow with the overrun.
    return Math.round(Math.max(this.first, 0.05 * expected, (elapsedMs - expected) / 2));
  }
}

/**
 * Observed task durations per kind (e.g. "CreateTenant", "remote-install"), as an exponentially
 * weighted average, so that polling follows what tasks of that kind actually take on this site.
 */
export class TaskDurations {
  private readonly averages = new Map<string, number>();
  /** Who waits, blind, for the first duration of a kind (`pause`). */
  private readonly blind = new Map<string, Set<() => void>>();

  constructor(private readonly weight = 0.3) {}

  observe(kind: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const previous = this.averages.get(kind);
    this.averages.set(kind, previous === undefined ? ms : previous + this.weight * (ms - previous));
    if (previous !== undefined) return;
    const waiting = this.blind.get(kind);
    this.blind.delete(kind);
    for (const wake of waiting ?? []) wake();
  }

  /**
   * The pause before the next check of a task of `kind` that has run `elapsedMs`, by its `schedule`.
   * While the kind has no duration yet, the pause ends early once the first task of the kind is seen
   * over: at 90% of that duration, or at once when the task is past it, never later than planned. A
   * bulk starts hundreds of tasks before the first of its kind is over (a fresh process knows none);
   * without this, each backs off blind to its end and is seen up to a third of its duration late
   * (a 10 s installation at 12.6 s). `schedule.expect` takes the duration at the wake-up. The pause
   * is at most `atMostMs` (what is left before the caller's deadline).
   */
  pause(kind: string, schedule: PollSchedule, elapsedMs: number, atMostMs = Infinity): VendorPause {
    const ms = Math.min(schedule.next(elapsedMs), Math.max(0, atMostMs));
    const startedAt = Date.now() - elapsedMs;
    return {
      ms,
      subscribe: (wake) => {
        if (schedule.informed) return () => undefined;
        if (this.averages.has(kind)) {
          wake();
          return () => undefined;
        }
        let waiting = this.blind.get(kind);
        if (!waiting) this.blind.set(kind, (waiting = new Set()));
        waiting.add(wake);
        return () => waiting.delete(wake);
      },
      rest: () => schedule.expect(this.expected(kind)).restAfterLearning(Date.now() - startedAt),
    };
  }

  /**
   * A task of `kind` was still running `runningMs` after its start and seen over at `doneMs`: it
   * took somewhere between the two. For callers that know a task's duration only from their own
   * checks (the Integration Server reports its tasks' own times; KSC device tasks do not, unless a
   * device's start and finish are compared, which leaves out the time before it picked the task up).
   * - Checks close together (at most two steps of the 5% cadence near the expected end, or for the
   *   first task of a kind two checks of the plain backoff) bracket the duration: their midpoint counts.
   * - After a longer pause (the jump to 90% of the expectation, or a check made late by a busy
   *   machine) the task may have ended anywhere in it: that only says it took at most `doneMs`, which
   *   may lower the expectation but never raise it. Counting the late check itself fed back: the next
   *   task's first check came later still, and after a 500-tenant bulk a 10 s installation was first
   *   checked at 27 s (performance.md 11.y); midpoints of brackets widened by late checks still
   *   raised a 10 s expectation to 12.5 s in the same bulk (11.z).
   */
  observeBetween(kind: string, runningMs: number, doneMs: number): void {
    const expected = this.averages.get(kind);
    // The first of its kind, checked blind: two checks of the plain backoff (pauses growing by half)
    // bracket it like close checks do; after a wider gap it took at most `doneMs`.
    if (expected === undefined)
      return this.observe(kind, doneMs - runningMs <= 0.4 * doneMs ? (runningMs + doneMs) / 2 : doneMs);
    if (doneMs - runningMs <= 0.1 * expected) return this.observe(kind, (runningMs + doneMs) / 2);
    if (doneMs < expected) this.observe(kind, doneMs);
  }

  expected(kind: string): number | undefined {
    return this.averages.get(kind);
  }

  schedule(kind: string, options: Omit<PollScheduleOptions, 'expectedMs'> = {}): PollSchedule {
    return new PollSchedule({ ...options, expectedMs: this.expected(kind) });
  }
}
