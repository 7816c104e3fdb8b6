import { PollSchedule, TaskDurations } from './poll-schedule';

/** Checks a task that finishes after `durationMs` would get, and when the finish is seen. */
function simulate(schedule: PollSchedule, durationMs: number): { checks: number; seenAtMs: number } {
  let t = 0;
  let checks = 0;
  for (;;) {
    t += schedule.next(t);
    checks++;
    if (t >= durationMs) return { checks, seenAtMs: t };
  }
}

describe('PollSchedule', () => {
  it('sees a 50 ms task within ~100 ms', () => {
    const { seenAtMs } = simulate(new PollSchedule(), 50);
    expect(seenAtMs).toBeLessThanOrEqual(100);
  });

  it('checks a 10-minute task a few dozen times at most without an expectation, and overshoots by under a third', () => {
    const { checks, seenAtMs } = simulate(new PollSchedule(), 600_000);
    expect(checks).toBeLessThanOrEqual(30);
    expect(seenAtMs).toBeLessThan(600_000 * 1.34);
  });

  it('checks a 10-minute task a handful of times once its expected duration is known, seeing it within 5%', () => {
    const { checks, seenAtMs } = simulate(new PollSchedule({ expectedMs: 600_000 }), 600_000);
    expect(checks).toBeLessThanOrEqual(6);
    expect(seenAtMs).toBeLessThanOrEqual(600_000 * 1.05);
  });

  it('checks a 5 s task of a known kind four times: once soon, then from 90% of its expected duration', () => {
    expect(simulate(new PollSchedule({ expectedMs: 5000 }), 5000)).toEqual({ checks: 4, seenAtMs: 5000 });
  });

  it('takes an expectation learned after the first check without checking soon again', () => {
    const s = new PollSchedule();
    expect(s.next(0)).toBe(40);
    s.expect(5000);
    expect(s.next(40)).toBe(4460);
    s.expect(60_000); // the first expectation stays
    expect(s.next(4500)).toBe(250);
  });

  it('still checks soon first when an expectation exists (a task may fail at once)', () => {
    expect(new PollSchedule({ expectedMs: 600_000 }).next(0)).toBeLessThanOrEqual(50);
  });

  it('keeps checking a task that runs far longer than expected, with growing pauses', () => {
    const s = new PollSchedule({ expectedMs: 1000 });
    const { checks } = simulate(s, 60_000);
    expect(checks).toBeLessThan(40);
  });
});

describe('TaskDurations', () => {
  it('averages observed durations per kind', () => {
    const d = new TaskDurations(0.5);
    expect(d.expected('CreateTenant')).toBeUndefined();
    d.observe('CreateTenant', 4000);
    d.observe('CreateTenant', 6000);
    expect(d.expected('CreateTenant')).toBe(5000);
    expect(d.expected('ActivateTenant')).toBeUndefined();
  });

  describe('observeBetween (a duration known only from the checks around its end)', () => {
    it('takes the first task as seen after a wide gap, then the middle of a close bracket', () => {
      const d = new TaskDurations(1);
      d.observeBetween('install', 40, 10_300);
      expect(d.expected('install')).toBe(10_300);
      d.observeBetween('install', 9_800, 10_300);
      expect(d.expected('install')).toBe(10_050);
    });

    it("takes the middle of the first task's last two checks of the plain backoff", () => {
      // PollSchedule's blind checks of a 10 s task: ... 6,838 ms (running), 10,297 ms (over).
      const d = new TaskDurations();
      d.observeBetween('install', 6_838, 10_297);
      expect(d.expected('install')).toBeCloseTo(8_567.5);
    });

    it('does not take the middle of a bracket that a late check widened (a busy machine near the expected end)', () => {
      const d = new TaskDurations(1);
      d.observe('install', 10_000);
      // Planned 500 ms apart (5% of 10 s); the second came 2.2 s after the first.
      d.observeBetween('install', 9_700, 11_900);
      expect(d.expected('install')).toBe(10_000);
      d.observeBetween('install', 9_700, 10_200);
      expect(d.expected('install')).toBe(9_950);
    });

    it('after a long pause lowers the expectation when the task was over sooner, and never raises it', () => {
      const d = new TaskDurations(1);
      d.observe('install', 10_000);
      d.observeBetween('install', 40, 13_000);
      expect(d.expected('install')).toBe(10_000);
      d.observeBetween('install', 40, 9_000);
      expect(d.expected('install')).toBe(9_000);
    });

    /** Tasks of `durationMs` checked `lateMs` after each planned check (a busy machine); when each was seen. */
    function run(durations: TaskDurations, learn: 'between' | 'seen', durationMs: number, lateMs: number): number[] {
      const seen: number[] = [];
      for (let task = 0; task < 200; task++) {
        const schedule = durations.schedule('install');
        let elapsed = 0;
        let runningAt: number | undefined;
        for (;;) {
          elapsed += schedule.next(elapsed) + lateMs;
          if (elapsed >= durationMs) break;
          runningAt = elapsed;
        }
        if (runningAt !== undefined)
          if (learn === 'between') durations.observeBetween('install', runningAt, elapsed);
          else durations.observe('install', elapsed);
        seen.push(elapsed);
      }
      return seen;
    }

    it('does not let late checks push the expectation, and with it the next first check, ever later', () => {
      // Counting the late check as the duration, each task is first checked later than the last.
      const seenAsBefore = run(new TaskDurations(), 'seen', 10_000, 1_500);
      expect(Math.max(...seenAsBefore.slice(-20))).toBeGreaterThan(14_000);
      // From the bracket: a 10 s task checked 1.5 s late is seen within the lateness and one pause.
      const seen = run(new TaskDurations(), 'between', 10_000, 1_500);
      expect(Math.max(...seen.slice(-150))).toBeLessThan(10_000 + 1_500 + 1_000);
      // And a machine that is not late keeps seeing it within 5%.
      expect(Math.max(...run(new TaskDurations(), 'between', 10_000, 0).slice(-150))).toBeLessThanOrEqual(10_500);
    });
  });

  describe('pause (a blind wait that the first task of its kind seen over cuts short)', () => {
    it('wakes a blind waiter once, when its kind is first seen over; the rest runs to 90% of it', () => {
      const d = new TaskDurations();
      const schedule = new PollSchedule();
      schedule.next(0);
      const pause = d.pause('install', schedule, 2_000);
      expect(pause.ms).toBe(60);
      const woken: string[] = [];
      pause.subscribe(() => woken.push('woken'));
      d.observe('remote-install', 1_000); // another kind
      expect(woken).toEqual([]);
      d.observe('install', 10_000);
      d.observe('install', 10_000); // only the first duration is news
      expect(woken).toEqual(['woken']);
      // 2 s into the task: 7 s to 90% of 10 s (the sleep never ends later than first planned).
      expect(pause.rest()).toBeGreaterThanOrEqual(6_990);
      expect(pause.rest()).toBeLessThanOrEqual(7_000);
      expect(schedule.informed).toBe(true);
    });

    it('checks at once a task already past 90% of the duration just learned', () => {
      const d = new TaskDurations();
      const pause = d.pause('install', new PollSchedule(), 9_500);
      pause.subscribe(() => undefined);
      d.observe('install', 10_000);
      expect(pause.rest()).toBe(0);
    });

    it('wakes at once a blind schedule whose kind was learned since it began, and never an informed one', () => {
      const d = new TaskDurations();
      d.observe('install', 10_000);
      let woken = 0;
      d.pause('install', new PollSchedule(), 500).subscribe(() => woken++);
      expect(woken).toBe(1);
      d.pause('install', new PollSchedule({ expectedMs: 10_000 }), 500).subscribe(() => woken++);
      expect(woken).toBe(1);
    });

    it('forgets a waiter that unsubscribed', () => {
      const d = new TaskDurations();
      let woken = 0;
      const unsubscribe = d.pause('install', new PollSchedule(), 0).subscribe(() => woken++);
      unsubscribe();
      d.observe('install', 10_000);
      expect(woken).toBe(0);
    });
  });
});
