import { KscMethodError, TaskStatistics, TasksApi } from '@tpo/ksc-client';
import pino from 'pino';
import { DeviceTask } from './device-task';
import { installSettingsFrom } from './install-settings';

/** A KSC task as `TasksApi` shows it: statistics per device state, RunTask counted. */
class FakeTasks {
  runs = 0;
  statisticsCalls = 0;
  constructor(private state: 'never-ran' | 'ran' | 'gone') {}

  async runTask(): Promise<void> {
    this.runs++;
    this.state = 'ran';
  }

  async statistics(taskId: string): Promise<TaskStatistics> {
    this.statisticsCalls++;
    if (this.state === 'gone') throw new KscMethodError(1183, 'KLSTD', `task ${taskId} not found`);
    const pending = this.state === 'ran' ? 1 : 0;
    return {
      pending,
      running: 0,
      completed: 0,
      completedWithWarning: 0,
      failed: 0,
      scheduled: 0,
      paused: 0,
      completedPercent: 0,
      needReboot: 0,
      raw: {},
    };
  }
}

const task = (tasks: FakeTasks) =>
  new DeviceTask(tasks as unknown as TasksApi, '42', installSettingsFrom({}), pino({ level: 'silent' }));

describe('DeviceTask.run', () => {
  it('runs a task this execution created without asking KSC first', async () => {
    const tasks = new FakeTasks('never-ran');
    const t = task(tasks);
    t.markCreatedHere();
    await t.run();
    expect([tasks.runs, tasks.statisticsCalls]).toEqual([1, 0]);
  });

  it('runs a task recorded by an earlier execution that never ran (a restart before RunTask)', async () => {
    const tasks = new FakeTasks('never-ran');
    await task(tasks).run();
    expect(tasks.runs).toBe(1);
  });

  it('does not run again a task recorded by an earlier execution that already ran', async () => {
    const tasks = new FakeTasks('ran');
    await task(tasks).run();
    expect(tasks.runs).toBe(0);
  });

  it('leaves a task that no longer exists to the outcomes check instead of failing', async () => {
    const tasks = new FakeTasks('gone');
    await expect(task(tasks).run()).resolves.toEqual(expect.any(Number));
    expect(tasks.runs).toBe(0);
  });
});
