import { KscSession, RebootOptions } from '@tpo/ksc-client';
import { PushInstallAccount } from '@tpo/site-directory';
import { VmStatus } from '@tpo/steps';
import type { Logger } from 'pino';
import { DeviceTask, HostOutcome } from './device-task';
import { MainPackage } from './package-preparation';
import { InstallSettings } from './install-settings';
import { TrackedVm, VmDetail, VmPhase, VmProgress } from './vm-progress';

/** What the order says about one VM (step input). */
export interface VmFacts {
  name: string;
  osFamily: string;
  /** IPv4 address: how the VM's device is found and where a push install goes. */
  address?: string;
}

/** The packages (main-server ids) one OS family uses on this site. */
export interface FamilyPackages {
  osFamily: string;
  networkAgent: MainPackage;
  lightAgent: MainPackage;
}

/** Everything one run of the step works with. */
export interface InstallContext {
  tenantId: string;
  /** KLVSRV_DN of the tenant's vAS. */
  vServerName: string;
  main: KscSession;
  vas: KscSession;
  progress: VmProgress;
  settings: InstallSettings;
  logger: Logger;
  signal: AbortSignal;
  /** The order's facts per VM, by BIOS UUID. */
  facts: Map<string, VmFacts>;
  /** Validated packages per OS family in use. */
  families: Map<string, FamilyPackages>;
  /** The site's push-install account (sealed site secret), when configured. */
  pushInstall?: PushInstallAccount;
  reboot: RebootOptions;
}

export interface TaskBinding {
  phase: VmPhase;
  /** Failure code of a VM whose device the task refused or failed on. */
  failCode: string;
  /** The device id of a VM on the task's server. */
  hostIdOf: (vm: TrackedVm) => string;
}

/**
 * Adds the VMs' devices to a freshly created task and records the task id on each VM before
 * anything runs, so that a restart finds and re-polls the same task, with the time its deadline
 * counts from (it is run right after). Devices KSC refuses fail alone. Returns the VMs in the task
 * (an empty task is deleted at once).
 */
export async function recordNewTask(
  ctx: InstallContext,
  task: DeviceTask,
  vms: TrackedVm[],
  b: TaskBinding,
  detailOf: (vm: TrackedVm) => VmDetail,
): Promise<TrackedVm[]> {
  task.markCreatedHere();
  const refused = await task.attach(vms.map(b.hostIdOf));
  const startedAt = Date.now();
  await ctx.progress.save(
    vms.map((vm) => {
      const reason = refused.get(b.hostIdOf(vm));
      return reason === undefined
        ? { vm, status: 'in_progress', detail: { ...detailOf(vm), phase: b.phase, taskId: task.taskId, startedAt } }
        : {
            vm,
            status: 'failed',
            detail: { ...detailOf(vm), phase: b.phase },
            errorCode: b.failCode,
            errorMessage: reason,
          };
    }),
  );
  const attached = vms.filter((vm) => !refused.has(b.hostIdOf(vm)));
  if (attached.length === 0) await task.delete();
  return attached;
}

/**
 * Runs a recorded task unless it already ran, waits for it, records every VM's outcome (`onSuccess`
 * decides the next state) and deletes the task after its results are stored (ksc-openapi.md §5
 * C10). A task this execution just recorded is run at once; one recorded by an earlier execution is
 * run only if KSC shows it never ran (a restart between recording and RunTask, DeviceTask.run), so
 * its start needs no write of its own.
 */
export async function completeTask(
  ctx: InstallContext,
  task: DeviceTask,
  vms: TrackedVm[],
  b: TaskBinding,
  onSuccess: (vm: TrackedVm, outcome: HostOutcome) => { status: VmStatus; detail: VmDetail },
): Promise<void> {
  const ranAt = await task.run();
  const startedAt = vms.find((vm) => vm.detail.startedAt !== undefined)?.detail.startedAt ?? ranAt;
  const outcomes = await task.outcomes(vms.map(b.hostIdOf), startedAt, ctx.signal, b.failCode);
  const gone = `the KSC task ${task.taskId} no longer exists, so its result is unknown`;
  await ctx.progress.save(
    vms.map((vm) => {
      const o: HostOutcome = outcomes?.get(b.hostIdOf(vm)) ?? { ok: false, message: gone };
      if (o.ok) return { vm, ...onSuccess(vm, o) };
      return {
        vm,
        status: 'failed',
        detail: { mainHostId: vm.detail.mainHostId, vServerHostId: vm.detail.vServerHostId, phase: b.phase },
        errorCode: o.code ?? b.failCode,
        errorMessage: o.message,
      };
    }),
  );
  if (outcomes) await task.delete();
}
