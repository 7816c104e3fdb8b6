import { TasksApi } from '@tpo/ksc-client';
import { waitForVendor } from '@tpo/platform';
import { DeviceTask } from './device-task';
import { KscHost, Located, locateHosts } from './ksc-hosts';
import { pushNetworkAgent, resumePushes } from './network-agent-push';
import { byRecordedTask, TrackedVm } from './vm-progress';
import { completeTask, InstallContext, recordNewTask, TaskBinding } from './vm-task-flow';

export const RECONNECTION_FAILED = 'RECONNECTION_FAILED';
export const AMBIGUOUS_VM_ADDRESS = 'AMBIGUOUS_VM_ADDRESS';
export const PUSH_INSTALL_NOT_CONFIGURED = 'PUSH_INSTALL_NOT_CONFIGURED';
export const NETWORK_AGENT_NOT_CONNECTED = 'NETWORK_AGENT_NOT_CONNECTED';

const RECONNECTING: TaskBinding = {
  phase: 'reconnecting',
  failCode: RECONNECTION_FAILED,
  hostIdOf: (vm) => vm.detail.mainHostId!,
};

/** Where each VM still to place stands (read-only: nothing has changed on the KSC when this is made). */
export interface PlacementPlan {
  /** Already a device of the tenant's vAS. */
  inVas: Map<string, KscHost>;
  /** Managed by the main server: one reconnection task moves them. */
  reconnect: { vm: TrackedVm; host: KscHost }[];
  /** Not managed (no record, or a record without Network Agent): the Network Agent is pushed first. */
  push: { vm: TrackedVm; host?: KscHost }[];
}

const facts = (ctx: InstallContext, vm: TrackedVm) => ({
  biosUuid: vm.biosUuid,
  name: vm.name,
  address: ctx.facts.get(vm.biosUuid)?.address,
});

/** Recorded pushes and reconnections from before a restart are polled to the end first, never created again. */
export async function resumePlacement(ctx: InstallContext): Promise<void> {
  await resumePushes(ctx);
  for (const [taskId, vms] of byRecordedTask(ctx.progress.vms, 'reconnecting')) {
    await completeTask(
      ctx,
      new DeviceTask(new TasksApi(ctx.main), taskId, ctx.settings, ctx.logger, 'reconnection'),
      vms,
      RECONNECTING,
      arriving,
    );
  }
}

/**
 * Finds every VM still to place by address (vAS first, then the main server) and decides its
 * path; fails, before any change, the VMs found twice at their address and the VMs that need a
 * push install on a site without a push-install account.
 */
export async function planPlacement(ctx: InstallContext, onlyPushed = false): Promise<PlacementPlan> {
  const plan: PlacementPlan = { inVas: new Map(), reconnect: [], push: [] };
  const todo = ctx.progress.vms.filter(
    (vm) => (vm.status === 'pending' && !onlyPushed) || (vm.status === 'in_progress' && vm.detail.phase === 'pushed'),
  );
  if (todo.length === 0) return plan;
  const ambiguous = new Map<TrackedVm, KscHost[]>();
  const notConnected: TrackedVm[] = [];
  const inVas = await locateHosts(
    ctx.vas,
    todo.map((vm) => facts(ctx, vm)),
  );
  const elsewhere = todo.filter(
    (vm) =>
      !classify(
        inVas.get(vm.biosUuid),
        (host) => plan.inVas.set(vm.biosUuid, host),
        (hosts) => ambiguous.set(vm, hosts),
      ),
  );
  const onMain = await locateHosts(
    ctx.main,
    elsewhere.map((vm) => facts(ctx, vm)),
  );
  for (const vm of elsewhere) {
    const found = onMain.get(vm.biosUuid);
    const placed = classify(
      found,
      (host) =>
        host.managed
          ? plan.reconnect.push({ vm, host })
          : vm.status === 'pending'
            ? plan.push.push({ vm, host })
            : notConnected.push(vm),
      (hosts) => ambiguous.set(vm, hosts),
    );
    if (!placed && vm.status === 'pending') plan.push.push({ vm });
    else if (!placed) notConnected.push(vm);
  }
  await ctx.progress.fail(
    [...ambiguous.keys()],
    'placement',
    AMBIGUOUS_VM_ADDRESS,
    (vm) =>
      `several KSC devices have the address ${ctx.facts.get(vm.biosUuid)?.address} (${ambiguous
        .get(vm)!
        .map((h) => `"${h.displayName}"`)
        .join(', ')}) all named "${vm.name}"; remove the stale records`,
  );
  await ctx.progress.fail(
    notConnected,
    'pushed',
    NETWORK_AGENT_NOT_CONNECTED,
    (vm) =>
      `the Network Agent was installed on ${ctx.facts.get(vm.biosUuid)?.address} but does not report to the Administration Server`,
  );
  if (!ctx.pushInstall) {
    await ctx.progress.fail(
      plan.push.map((p) => p.vm),
      'placement',
      PUSH_INSTALL_NOT_CONFIGURED,
      (vm) =>
        `no Network Agent reports from ${ctx.facts.get(vm.biosUuid)?.address}, and the site has no push-install account to install one; register it (ksc.pushInstall) and retry`,
    );
    plan.push = [];
  }
  return plan;
}

/** True when the locator settled the VM (found or ambiguous), false when it found nothing. */
function classify(
  found: Located | undefined,
  onHost: (host: KscHost) => unknown,
  onAmbiguous: (hosts: KscHost[]) => unknown,
): boolean {
  if (!found || 'missing' in found) return false;
  if ('ambiguous' in found) onAmbiguous(found.ambiguous);
  else onHost(found.host);
  return true;
}

/**
 * Phase C (ksc-openapi.md §3.3): Network Agent pushed where none runs, then the VMs managed by the
 * main server moved with ONE device-list KLNAG_TASK_RECONNECTION task naming the vAS; returns each
 * placed VM's device in the vAS (a new host id after the move), keyed by BIOS UUID.
 */
export async function executePlacement(ctx: InstallContext, plan: PlacementPlan): Promise<Map<string, KscHost>> {
  await pushNetworkAgent(ctx, plan.push);
  const pushed = ctx.progress.vms.filter((vm) => vm.status === 'in_progress' && vm.detail.phase === 'pushed');
  if (pushed.length > 0) {
    const again = await planPlacement(ctx, true);
    for (const [k, v] of again.inVas) plan.inVas.set(k, v);
    plan.reconnect.push(...again.reconnect);
  }
  await reconnect(ctx, plan.reconnect);
  const placed = new Map(plan.inVas);
  for (const [biosUuid, host] of await awaitArrival(ctx)) placed.set(biosUuid, host);
  return placed;
}

function arriving(vm: TrackedVm) {
  return {
    status: 'in_progress' as const,
    detail: { phase: 'arriving' as const, mainHostId: vm.detail.mainHostId, since: Date.now() },
  };
}

async function reconnect(ctx: InstallContext, items: { vm: TrackedVm; host: KscHost }[]): Promise<void> {
  if (items.length === 0) return;
  const hostOf = new Map(items.map((i) => [i.vm, i.host]));
  const tasks = new TasksApi(ctx.main);
  const taskId = await tasks.addReconnectionTask(
    ctx.vServerName,
    { hostNames: [] },
    { displayName: `Move tenant VMs to ${ctx.vServerName}`, reconnectionTimeoutMs: ctx.settings.reconnectionTimeoutMs },
  );
  ctx.logger.info({ tenantId: ctx.tenantId, taskId, devices: items.length }, 'reconnection task created');
  const task = new DeviceTask(tasks, taskId, ctx.settings, ctx.logger, 'reconnection');
  const binding: TaskBinding = { ...RECONNECTING, hostIdOf: (vm) => hostOf.get(vm)?.id ?? vm.detail.mainHostId! };
  const attached = await recordNewTask(ctx, task, [...hostOf.keys()], binding, (vm) => ({
    mainHostId: hostOf.get(vm)!.id,
  }));
  if (attached.length > 0) await completeTask(ctx, task, attached, RECONNECTING, arriving);
}

/**
 * After a successful reconnection the agent restarts into the vAS (after
 * KLNAG_TASK_RECONNECTION_TIMEOUT): poll the vAS for the devices (by address) until each appears
 * or its arrival deadline (counted from the recorded success, across restarts) passes.
 */
async function awaitArrival(ctx: InstallContext): Promise<Map<string, KscHost>> {
  const placed = new Map<string, KscHost>();
  let waiting = ctx.progress.vms.filter((vm) => vm.status === 'in_progress' && vm.detail.phase === 'arriving');
  for (let pause = 250; waiting.length > 0; pause = Math.min(Math.round(pause * 1.5), ctx.settings.pollMaxIntervalMs)) {
    const inVas = await locateHosts(
      ctx.vas,
      waiting.map((vm) => facts(ctx, vm)),
    );
    for (const vm of waiting) {
      const found = inVas.get(vm.biosUuid);
      if (found && 'host' in found) placed.set(vm.biosUuid, found.host);
    }
    waiting = waiting.filter((vm) => !placed.has(vm.biosUuid));
    const late = waiting.filter((vm) => Date.now() >= (vm.detail.since ?? 0) + ctx.settings.arrivalDeadlineMs);
    const seconds = Math.round(ctx.settings.arrivalDeadlineMs / 1000);
    await ctx.progress.fail(
      late,
      'arriving',
      RECONNECTION_FAILED,
      () =>
        `the Network Agent accepted the reconnection but the device did not appear in the virtual server within ${seconds} s`,
    );
    waiting = waiting.filter((vm) => !late.includes(vm));
    if (waiting.length > 0) await waitForVendor(pause, ctx.signal);
  }
  return placed;
}
