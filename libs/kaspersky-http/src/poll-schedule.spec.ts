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
});
