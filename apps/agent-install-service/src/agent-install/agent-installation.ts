import { HostGroupApi, KscMethodError, TasksApi } from '@tpo/ksc-client';
import { DeviceTask, HostOutcome } from './device-task';
import { ALREADY_INSTALLED } from './host-outcome';
import { KscHost } from './ksc-hosts';
import { hostErrorMessage } from './step-failure';
import { byRecordedTask, TrackedVm } from './vm-progress';
import { completeTask, InstallContext, recordNewTask, TaskBinding } from './vm-task-flow';

export const INSTALL_FAILED = 'INSTALL_FAILED';

const INSTALLING: TaskBinding = {
  phase: 'installing',
  failCode: INSTALL_FAILED,
  hostIdOf: (vm) => vm.detail.vServerHostId!,
};

function installed(vm: TrackedVm, outcome?: HostOutcome) {
  return {
    status: 'succeeded' as const,
    detail: {
      vServerHostId: vm.detail.vServerHostId,
      mainHostId: vm.detail.mainHostId,
      ...(outcome?.code ? { note: outcome.code } : {}),
    },
  };
}

/**
 * Phase D (ksc-openapi.md §3.7, §5 C9 and D1-D4), inside the vAS: moves the placed devices from
 * Unassigned devices to the vAS's Managed devices and installs on each the Light Agent of its OS
 * family (the vAS's own package id) with ONE `Remote Installation` task per OS family. A device
 * that already has that Light Agent (HostGroup.GetHostProducts) is done without a task
 * (ALREADY_INSTALLED): a retry installs only what is missing. Tasks recorded before a restart are
 * resumed, not created again.
 */
export async function installLightAgent(
  ctx: InstallContext,
  placed: Map<string, KscHost>,
  vasPackageIds: Map<number, number>,
): Promise<void> {
  const tasks = new TasksApi(ctx.vas, ctx.settings.remoteInstall);
  for (const [taskId, vms] of byRecordedTask(ctx.progress.vms, 'installing')) {
    await completeTask(
      ctx,
      new DeviceTask(tasks, taskId, ctx.settings, ctx.logger, 'remote-install'),
      vms,
      INSTALLING,
      installed,
    );
  }
  const ready = ctx.progress.vms.filter(
    (vm) =>
      placed.has(vm.biosUuid) &&
      (vm.status === 'pending' ||
        (vm.status === 'in_progress' && (vm.detail.phase === 'arriving' || vm.detail.phase === 'pushed'))),
  );
  const movable = await moveToManagedDevices(ctx, ready, placed);
  const missing = await withoutLightAgent(ctx, movable, placed);
  const byFamily = new Map<string, TrackedVm[]>();
  for (const vm of missing) {
    const f = ctx.facts.get(vm.biosUuid)!.osFamily;
    byFamily.set(f, [...(byFamily.get(f) ?? []), vm]);
  }
  for (const [osFamily, vms] of byFamily) {
    const pkg = ctx.families.get(osFamily)!.lightAgent;
    const taskId = await tasks.addRemoteInstallTask({
      packageIds: [vasPackageIds.get(pkg.id)!],
      target: { hostNames: [] },
      displayName: `TPO Light Agent (${osFamily}) for ${ctx.vServerName}`,
      reboot: ctx.reboot,
    });
    ctx.logger.info(
      { tenantId: ctx.tenantId, taskId, osFamily, devices: vms.length },
      'Light Agent installation task created',
    );
    const task = new DeviceTask(tasks, taskId, ctx.settings, ctx.logger, 'remote-install');
    const binding: TaskBinding = { ...INSTALLING, hostIdOf: (vm) => placed.get(vm.biosUuid)!.id };
    const attached = await recordNewTask(ctx, task, vms, binding, (vm) => ({
      mainHostId: vm.detail.mainHostId,
      vServerHostId: placed.get(vm.biosUuid)!.id,
    }));
    if (attached.length > 0) await completeTask(ctx, task, attached, INSTALLING, installed);
  }
}

/** Records the VMs whose device already has its OS family's Light Agent as installed; returns the others. */
async function withoutLightAgent(
  ctx: InstallContext,
  vms: TrackedVm[],
  placed: Map<string, KscHost>,
): Promise<TrackedVm[]> {
  const hostGroup = new HostGroupApi(ctx.vas);
  const done: TrackedVm[] = [];
  for (const vm of vms) {
    const product = ctx.families.get(ctx.facts.get(vm.biosUuid)!.osFamily)!.lightAgent.product;
    const products = await hostGroup.getHostProducts(placed.get(vm.biosUuid)!.id);
    if (product in products) done.push(vm);
  }
  await ctx.progress.save(
    done.map((vm) => ({
      vm,
      status: 'succeeded' as const,
      detail: { mainHostId: vm.detail.mainHostId, vServerHostId: placed.get(vm.biosUuid)!.id, note: ALREADY_INSTALLED },
    })),
  );
  return vms.filter((vm) => !done.includes(vm));
}

/**
 * HostGroup.MoveHostsToGroup into the vAS's root group, for the devices still in Unassigned
 * devices. ASSUMPTION: a device that the vAS's move rules already put into some group stays
 * there. One call for all; if KSC refuses it, one call per device so that a bad device fails alone.
 */
async function moveToManagedDevices(
  ctx: InstallContext,
  vms: TrackedVm[],
  placed: Map<string, KscHost>,
): Promise<TrackedVm[]> {
  if (vms.length === 0) return [];
  const hostGroup = new HostGroupApi(ctx.vas);
  const root = await hostGroup.groupIdGroups();
  const unassigned = await hostGroup.groupIdUnassigned();
  const idOf = (vm: TrackedVm) => placed.get(vm.biosUuid)!.id;
  const toMove = vms.filter((vm) => {
    const group = placed.get(vm.biosUuid)!.groupId;
    return group === undefined || group === unassigned;
  });
  if (toMove.length === 0) return vms;
  try {
    await hostGroup.moveHostsToGroup(root, toMove.map(idOf));
    return vms;
  } catch (e) {
    if (!(e instanceof KscMethodError)) throw e;
  }
  const refused = new Map<TrackedVm, string>();
  for (const vm of toMove) {
    try {
      await hostGroup.moveHostsToGroup(root, [idOf(vm)]);
    } catch (e) {
      if (!(e instanceof KscMethodError)) throw e;
      refused.set(vm, hostErrorMessage(e));
    }
  }
  await ctx.progress.save(
    [...refused].map(([vm, reason]) => ({
      vm,
      status: 'failed' as const,
      detail: { phase: 'installing' as const, mainHostId: vm.detail.mainHostId, vServerHostId: idOf(vm) },
      errorCode: INSTALL_FAILED,
      errorMessage: `could not move the device to Managed devices of the virtual server: ${reason}`,
    })),
  );
  return vms.filter((vm) => !refused.has(vm));
}
