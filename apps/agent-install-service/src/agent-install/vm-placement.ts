import { setTimeout as sleep } from 'node:timers/promises';
import { TasksApi } from '@tpo/ksc-client';
import { DeviceTask } from './device-task';
import { findHostsByName, KscHost } from './ksc-hosts';
import { byRecordedTask, TrackedVm } from './vm-progress';
import { completeTask, InstallContext, recordNewTask, TaskBinding } from './vm-task-flow';

export const RECONNECTION_FAILED = 'RECONNECTION_FAILED';
export const VM_NOT_MANAGED = 'VM_NOT_MANAGED';

const key = (vm: TrackedVm) => vm.name.toLowerCase();
const RECONNECTING: TaskBinding = { phase: 'reconnecting', failCode: RECONNECTION_FAILED, hostIdOf: (vm) => vm.detail.mainHostId! };

/**
 * Phase C (ksc-openapi.md §3.3, §5 C1-C8): gets the VMs' devices into the tenant's vAS and returns
 * each placed VM's device there (a new host id after the move), keyed by BIOS UUID. VMs already in
 * the vAS are taken as they are; the rest are found on the main server by display name and moved
 * with ONE device-list KLNAG_TASK_RECONNECTION task naming the vAS; then we wait for the restarted
 * agents to show up in the vAS. Tasks recorded before a restart are resumed, not created again.
 */
export async function placeVms(ctx: InstallContext): Promise<Map<string, KscHost>> {
  await failAmbiguousNames(ctx);
  for (const [taskId, vms] of byRecordedTask(ctx.progress.vms, 'reconnecting')) {
    await completeTask(ctx, new DeviceTask(new TasksApi(ctx.main), taskId, ctx.settings, ctx.logger, 'reconnection'), vms, RECONNECTING, arriving);
  }
  const placed = new Map<string, KscHost>();
  const pending = ctx.progress.vms.filter((vm) => vm.status === 'pending');
  if (pending.length > 0) {
    const inVas = await findHostsByName(ctx.vas, pending.map((vm) => vm.name));
    for (const vm of pending) if (inVas.has(key(vm))) placed.set(vm.biosUuid, inVas.get(key(vm))!);
    await reconnect(
      ctx,
      pending.filter((vm) => !placed.has(vm.biosUuid)),
    );
  }
  for (const [biosUuid, host] of await awaitArrival(ctx)) placed.set(biosUuid, host);
  return placed;
}

function arriving(vm: TrackedVm) {
  return { status: 'in_progress' as const, detail: { phase: 'arriving' as const, mainHostId: vm.detail.mainHostId, since: Date.now() } };
}

/** Devices are matched by display name, so two VMs of one tenant with the same name cannot be told apart. */
async function failAmbiguousNames(ctx: InstallContext): Promise<void> {
  const count = new Map<string, number>();
  for (const vm of ctx.progress.vms) count.set(key(vm), (count.get(key(vm)) ?? 0) + 1);
  const ambiguous = ctx.progress.vms.filter((vm) => vm.status === 'pending' && count.get(key(vm))! > 1);
  await ctx.progress.fail(ambiguous, 'placement', 'AMBIGUOUS_VM_NAME', (vm) => `another VM of this tenant is also named "${vm.name}"; KSC devices are matched by name`);
}

async function reconnect(ctx: InstallContext, vms: TrackedVm[]): Promise<void> {
  if (vms.length === 0) return;
  const onMain = await findHostsByName(ctx.main, vms.map((vm) => vm.name));
  await ctx.progress.fail(
    vms.filter((vm) => !onMain.has(key(vm))),
    'placement',
    VM_NOT_MANAGED,
    (vm) => `no device named "${vm.name}" is managed by the Administration Server (no Network Agent connected to it)`,
  );
  const found = vms.filter((vm) => onMain.has(key(vm)));
  if (found.length === 0) return;
  const tasks = new TasksApi(ctx.main);
  const taskId = await tasks.addReconnectionTask(
    ctx.vServerName,
    { hostNames: [] },
    { displayName: `Move tenant VMs to ${ctx.vServerName}`, reconnectionTimeoutMs: ctx.settings.reconnectionTimeoutMs },
  );
  ctx.logger.info({ tenantId: ctx.tenantId, taskId, devices: found.length }, 'reconnection task created');
  const task = new DeviceTask(tasks, taskId, ctx.settings, ctx.logger, 'reconnection');
  const binding: TaskBinding = { ...RECONNECTING, hostIdOf: (vm) => onMain.get(key(vm))!.id };
  const attached = await recordNewTask(ctx, task, found, binding, (vm) => ({ mainHostId: onMain.get(key(vm))!.id }));
  if (attached.length > 0) await completeTask(ctx, task, attached, RECONNECTING, arriving);
}

/**
 * After a successful reconnection the agent restarts into the vAS (after
 * KLNAG_TASK_RECONNECTION_TIMEOUT): poll the vAS for the devices until each appears or its
 * arrival deadline (counted from the recorded success, across restarts) passes.
 */
async function awaitArrival(ctx: InstallContext): Promise<Map<string, KscHost>> {
  const placed = new Map<string, KscHost>();
  let waiting = ctx.progress.vms.filter((vm) => vm.status === 'in_progress' && vm.detail.phase === 'arriving');
  for (let pause = 250; waiting.length > 0; pause = Math.min(Math.round(pause * 1.5), ctx.settings.pollMaxIntervalMs)) {
    const inVas = await findHostsByName(ctx.vas, waiting.map((vm) => vm.name));
    for (const vm of waiting) if (inVas.has(key(vm))) placed.set(vm.biosUuid, inVas.get(key(vm))!);
    waiting = waiting.filter((vm) => !placed.has(vm.biosUuid));
    const late = waiting.filter((vm) => Date.now() >= (vm.detail.since ?? 0) + ctx.settings.arrivalDeadlineMs);
    const seconds = Math.round(ctx.settings.arrivalDeadlineMs / 1000);
    await ctx.progress.fail(late, 'arriving', RECONNECTION_FAILED, () => `the Network Agent accepted the reconnection but the device did not appear in the virtual server within ${seconds} s`);
    waiting = waiting.filter((vm) => !late.includes(vm));
    if (waiting.length > 0) await sleep(pause, undefined, { signal: ctx.signal });
  }
  return placed;
}
