import { TaskDurations } from '@tpo/kaspersky-http';
import { IsTask } from './model';
import { waitForTask } from './task-poller';

/** A server task of `type` created at `createdAt` (epoch ms) and over `durationMs` later. */
function serverTask(id: string, type: string, createdAt: number, durationMs: number) {
  let checks = 0;
  const get = async (): Promise<IsTask> => {
    checks++;
    const over = Date.now() >= createdAt + durationMs;
    return {
      id,
      type,
      created: new Date(createdAt),
      state: over ? 'Completed' : 'Running',
      ...(over ? { stateChanged: new Date(createdAt + durationMs) } : {}),
    };
  };
  return { get, checks: () => checks };
}

describe('waitForTask', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('wakes a task waiting blind when the first task of its type is over, and sees it near its end', async () => {
    const durations = new TaskDurations();
    const seen: Record<string, number> = {};
    const a = serverTask('a', 'CreateTenant', 0, 5000);
    const first = waitForTask(a.get, 'a', { durations }).then(() => (seen.a = Date.now()));
    await jest.advanceTimersByTimeAsync(2000);
    // Started while the first still runs and nothing of its type was ever seen over: it backs off blind.
    const b = serverTask('b', 'CreateTenant', 2000, 5000);
    const second = waitForTask(b.get, 'b', { durations }).then(() => (seen.b = Date.now()));
    await jest.advanceTimersByTimeAsync(10_000);
    await Promise.all([first, second]);
    // The first is seen by the plain backoff (checks at ... 4,531 and 6,838 ms).
    expect(Math.abs(seen.a - 6838)).toBeLessThanOrEqual(5);
    expect(durations.expected('CreateTenant')).toBe(5000);
    // The second was due to be checked next at 8,838 ms (6,838 after its start); the first's end
    // woke it at once (past 90% of 5 s), and it is seen within a 5% step of its end at 7,000 ms.
    expect(seen.b).toBeGreaterThanOrEqual(7000);
    expect(seen.b).toBeLessThanOrEqual(7250);
    expect(b.checks()).toBe(12);
  });

  it('keeps the plain backoff for a task whose type is never seen over', async () => {
    const durations = new TaskDurations();
    const a = serverTask('a', 'ActivateTenant', 0, 5000);
    let seenAt = 0;
    const done = waitForTask(a.get, 'a', { durations }).then(() => (seenAt = Date.now()));
    await jest.advanceTimersByTimeAsync(10_000);
    await done;
    expect(Math.abs(seenAt - 6838)).toBeLessThanOrEqual(5);
    expect(a.checks()).toBe(11);
  });
});
