import { OnboardingStep } from '@tpo/contracts';
import { FencedWriter } from '@tpo/jobs';
import { StepVm, StepWorkRepository, VmStatus } from '@tpo/steps';

/** Where a VM is while in progress (`in_progress`), or where it failed (`failed`). */
export type VmPhase = 'validation' | 'placement' | 'pushing' | 'pushed' | 'reconnecting' | 'arriving' | 'installing';

/** What a VM row's `detail` holds: enough to resume the same KSC task after a restart. */
export interface VmDetail {
  phase?: VmPhase;
  /** KLHST_WKS_HOSTNAME on the main server (before the move). */
  mainHostId?: string;
  /** KLHST_WKS_HOSTNAME inside the vAS (a new id after the move). */
  vServerHostId?: string;
  /** The KSC task this VM is part of; recorded before the task is run. */
  taskId?: string;
  /**
   * When the task was recorded, right before RunTask (epoch ms; rows written before 2026-12-02 hold
   * the time RunTask returned): the task deadline counts from here, across restarts.
   */
  startedAt?: number;
  /** When the reconnection reported success (epoch ms); the vAS arrival deadline counts from here. */
  since?: number;
  /** What an installed VM's last task said, e.g. ALREADY_INSTALLED (nothing was installed again). */
  note?: string;
}

export interface TrackedVm {
  biosUuid: string;
  name: string;
  status: VmStatus;
  detail: VmDetail;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface VmChange {
  vm: TrackedVm;
  status: VmStatus;
  detail: VmDetail;
  errorCode?: string;
  errorMessage?: string;
}

/**
 * The per-VM rows of one tenant's step, kept in step_vm; each batch of changes is one statement,
 * written through the job's fenced writer: a worker that lost the job (lease taken over) writes
 * nothing and gets LeaseLostError.
 */
export class VmProgress {
  private list: TrackedVm[] = [];

  constructor(
    private readonly steps: StepWorkRepository,
    private readonly write: FencedWriter,
    private readonly tenantId: string,
    private readonly step: OnboardingStep,
  ) {}

  get vms(): TrackedVm[] {
    return this.list;
  }

  /** The step's VMs: `loaded` when they came with the step (StepWork.vms), else read now. */
  async load(loaded?: StepVm[]): Promise<TrackedVm[]> {
    const rows = loaded ?? (await this.steps.vms(this.tenantId, this.step));
    this.list = rows.map((r) => ({
      biosUuid: r.biosUuid,
      name: r.name,
      status: r.status,
      detail: (r.detail ?? {}) as VmDetail,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
    }));
    return this.list;
  }

  async save(changes: VmChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.steps.setVms(
      this.tenantId,
      this.step,
      changes.map((c) => ({
        biosUuid: c.vm.biosUuid,
        status: c.status,
        detail: c.detail,
        errorCode: c.errorCode,
        errorMessage: c.errorMessage?.slice(0, 1000),
      })),
      this.write,
    );
    for (const c of changes)
      Object.assign(c.vm, {
        status: c.status,
        detail: c.detail,
        errorCode: c.errorCode ?? null,
        errorMessage: c.errorMessage?.slice(0, 1000) ?? null,
      });
  }

  fail(vms: TrackedVm[], phase: VmPhase, code: string, message: (vm: TrackedVm) => string): Promise<void> {
    return this.save(
      vms.map((vm) => ({
        vm,
        status: 'failed',
        detail: { phase, mainHostId: vm.detail.mainHostId, vServerHostId: vm.detail.vServerHostId },
        errorCode: code,
        errorMessage: message(vm),
      })),
    );
  }
}

/** VMs grouped by the KSC task recorded for them in `phase` (tasks to resume after a restart). */
export function byRecordedTask(vms: TrackedVm[], phase: VmPhase): Map<string, TrackedVm[]> {
  const out = new Map<string, TrackedVm[]>();
  for (const vm of vms) {
    if (vm.status !== 'in_progress' || vm.detail.phase !== phase || !vm.detail.taskId) continue;
    out.set(vm.detail.taskId, [...(out.get(vm.detail.taskId) ?? []), vm]);
  }
  return out;
}
