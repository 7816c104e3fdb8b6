import { HostGroupApi, KscMethodError, TasksApi } from '@tpo/ksc-client';
import { DeviceTask } from './device-task';
import { KscHost } from './ksc-hosts';
import { hostErrorMessage } from './step-failure';
import { byRecordedTask, TrackedVm } from './vm-progress';
import { completeTask, InstallContext, recordNewTask, TaskBinding } from './vm-task-flow';

export const NETWORK_AGENT_INSTALL_FAILED = 'NETWORK_AGENT_INSTALL_FAILED';

const PUSHING: TaskBinding = {
  phase: 'pushing',
  failCode: NETWORK_AGENT_INSTALL_FAILED,
  hostIdOf: (vm) => vm.detail.mainHostId!,
};

function pushed(vm: TrackedVm) {
  return { status: 'in_progress' as const, detail: { phase: 'pushed' as const, mainHostId: vm.detail.mainHostId } };
}

/** Network Agent pushes recorded before a restart: polled to the end, never created again. */
export async function resumePushes(ctx: InstallContext): Promise<void> {
  for (const [taskId, vms] of byRecordedTask(ctx.progress.vms, 'pushing')) {
    await completeTask(
      ctx,
      new DeviceTask(new TasksApi(ctx.main), taskId, ctx.settings, ctx.logger, 'remote-install'),
      vms,
      PUSHING,
      pushed,
    );
  }
}

/**
 * VMs no server manages yet (ksc-openapi-addendum.md §1): a device record for each machine the
 * main server does not list (HostGroup.AddHost with its address; looked up by address before, so a
 * retry never adds a second record), then per OS family ONE `Remote Installation` task on the main
 * server pushing that family's Network Agent package to the devices' addresses with the site's
 * push-install account (password through Tasks.ProtectPassword, never stored or logged), moving
 * each installed device to Managed devices (KLTSK_RI_GROUP_TO_MOVE_HOST). Per-device results come
 * from the host-status iterator; a VM whose push worked is `pushed` (next: reconnection to the vAS).
 */
export async function pushNetworkAgent(ctx: InstallContext, items: { vm: TrackedVm; host?: KscHost }[]): Promise<void> {
  if (items.length === 0 || !ctx.pushInstall) return;
  const hostGroup = new HostGroupApi(ctx.main);
  const unassigned = await hostGroup.groupIdUnassigned();
  const managedDevices = await hostGroup.groupIdGroups();
  const hostIds = new Map<TrackedVm, string>();
  for (const { vm, host } of items) {
    if (host) {
      hostIds.set(vm, host.id);
      continue;
    }
    const facts = ctx.facts.get(vm.biosUuid)!;
    try {
      hostIds.set(
        vm,
        await hostGroup.addHost({ displayName: vm.name, groupId: unassigned, dnsName: vm.name, ip: facts.address }),
      );
    } catch (e) {
      if (!(e instanceof KscMethodError)) throw e;
      await ctx.progress.fail(
        [vm],
        'pushing',
        NETWORK_AGENT_INSTALL_FAILED,
        () => `KSC refused a device record for ${facts.address}: ${hostErrorMessage(e)}`,
      );
    }
  }
  const tasks = new TasksApi(ctx.main);
  const account = {
    user: ctx.pushInstall.username,
    protectedPassword: await tasks.protectPassword(ctx.pushInstall.password),
  };
  const families = new Map<string, TrackedVm[]>();
  for (const vm of hostIds.keys()) {
    const f = ctx.facts.get(vm.biosUuid)!.osFamily;
    families.set(f, [...(families.get(f) ?? []), vm]);
  }
  for (const [osFamily, vms] of families) {
    const pkg = ctx.families.get(osFamily)!.networkAgent;
    const taskId = await tasks.addRemoteInstallTask({
      packageIds: [pkg.id],
      target: { hostNames: [] },
      displayName: `TPO Network Agent (${osFamily}) for ${ctx.vServerName}`,
      moveToGroupId: managedDevices,
      reboot: ctx.reboot,
      accounts: [account],
    });
    ctx.logger.info(
      { tenantId: ctx.tenantId, taskId, osFamily, devices: vms.length },
      'Network Agent push task created',
    );
    const task = new DeviceTask(tasks, taskId, ctx.settings, ctx.logger, 'remote-install');
    const binding: TaskBinding = { ...PUSHING, hostIdOf: (vm) => hostIds.get(vm) ?? vm.detail.mainHostId! };
    const attached = await recordNewTask(ctx, task, vms, binding, (vm) => ({ mainHostId: hostIds.get(vm) }));
    if (attached.length > 0) await completeTask(ctx, task, attached, PUSHING, pushed);
  }
}
