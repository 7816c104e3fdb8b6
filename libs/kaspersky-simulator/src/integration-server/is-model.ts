import { randomUUID } from 'node:crypto';
import { SimulatorAssumptions } from '../config/assumptions';
import { FaultController } from '../faults/faults';
import { KscModel, KscModelError, MAIN_SERVER } from '../ksc/ksc-model';

export type TenantType = 'Complete' | 'Simple';
export type TaskState =
  'Created' | 'Queued' | 'Starting' | 'Running' | 'Completed' | 'Stopping' | 'Failed' | 'Canceled';
export type TaskType = 'CreateTenant' | 'ChangeTenantActivation' | 'DeleteTenant' | 'CreateTenantReport';

export interface IsTenant {
  id: string;
  created: Date;
  updated: Date;
  name: string;
  description?: string;
  userData?: string;
  type: TenantType;
  status: 'Active' | 'Inactive';
  vKsc?: { id: string; userName: string; groupId: number };
}

export interface IsVm {
  id: string;
  biosId: string;
  tenantId: string;
  created: Date;
  updated: Date;
  name?: string;
  userData?: string;
}

export type TaskResult =
  { kind: 'tenant'; tenant: IsTenant } | { kind: 'bool'; value: boolean } | { kind: 'text'; value: string };

export interface IsTask {
  id: string;
  type: TaskType;
  state: TaskState;
  created: Date;
  stateChanged: Date;
  changed: Date;
  stage: string;
  progress: number;
  result?: TaskResult;
  error?: { code: string; message: string };
  cancelRequested: boolean;
}

export interface Report {
  id: string;
  created: Date;
  expiresAt: Date;
  csv: string;
}

interface ProtectionPeriod {
  biosId: string;
  vmName?: string;
  tenantId?: string;
  from: Date;
  to?: Date;
}

/** A task-level failure (the task ends `Failed` with this code; every change rolls back). */
export class IsTaskError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const MULTITENANCY_FOLDER = 'Multitenancy KSV LA';

export interface CreateTenantInput {
  name: string;
  description?: string;
  userData?: string;
  type: TenantType;
  preferredViisAddress?: string;
  vKsc?: { name: string; password: string };
}

/**
 * State and rules of one simulated Integration Server (multitenancy REST API), per
 * shared/reference/integration-server-api.md §7 and §11. Async operations run as tasks
 * `Queued -> Starting -> Running (progress) -> Completed | Failed | Canceled`, serialised per
 * tenant; create and delete are all-or-nothing.
 */
export class IntegrationServerModel {
  readonly tenants = new Map<string, IsTenant>();
  readonly vms = new Map<string, IsVm>(); // by BIOS id (unique across the IS)
  readonly tasks = new Map<string, IsTask>();
  readonly reports = new Map<string, Report>();
  private readonly periods: ProtectionPeriod[] = [];
  private readonly queues = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly ksc: KscModel,
    private readonly faults: FaultController,
    private readonly assumptions: () => SimulatorAssumptions,
    private readonly kscConfigured: () => boolean,
  ) {}

  // ---- tasks ---------------------------------------------------------------------------------

  /**
   * Queues an async task; `work` runs when the task's turn comes and the simulated duration has
   * passed, and either returns the result or throws IsTaskError. Tasks of one tenant run one at a time.
   */
  startTask(type: TaskType, serialKey: string, work: () => TaskResult): IsTask {
    const now = new Date(Date.now() + (this.faults.current.clockSkewMs ?? 0));
    const task: IsTask = {
      id: randomUUID(),
      type,
      state: 'Queued',
      created: now,
      stateChanged: now,
      changed: now,
      stage: '',
      progress: 0,
      cancelRequested: false,
    };
    this.tasks.set(task.id, task);
    const previous = this.queues.get(serialKey) ?? Promise.resolve();
    const run = previous.then(() => this.execute(task, work));
    this.queues.set(serialKey, run);
    void run.finally(() => {
      if (this.queues.get(serialKey) === run) this.queues.delete(serialKey);
    });
    return task;
  }

  private async execute(task: IsTask, work: () => TaskResult): Promise<void> {
    if (task.state !== 'Queued') return; // canceled while queued
    this.setState(task, 'Starting', 'Starting');
    const duration = this.faults.taskDuration(task.type);
    await this.sleep(Math.round(duration / 4));
    if (task.cancelRequested)
      return this.setState(task, 'Canceled', 'Canceled by user', {
        code: 'Canceled',
        message: 'The task was canceled; all changes were rolled back.',
      });
    this.setState(task, 'Running', 'Processing');
    for (const progress of [25, 50, 75]) {
      await this.sleep(Math.round(duration / 4));
      if (task.cancelRequested) {
        return this.setState(task, 'Canceled', 'Canceled by user', {
          code: 'Canceled',
          message: 'The task was canceled; all changes were rolled back.',
        });
      }
      task.progress = progress;
      task.changed = new Date();
    }
    const injected = this.faults.takeTaskFailure(task.type);
    if (injected) return this.setState(task, 'Failed', 'Failed', injected);
    try {
      task.result = work();
      task.progress = 100;
      this.setState(task, 'Completed', 'Done');
    } catch (e) {
      const err =
        e instanceof IsTaskError
          ? { code: e.code, message: e.message }
          : { code: 'VIRMT_InternalError', message: (e as Error).message };
      this.setState(task, 'Failed', 'Failed', err);
    }
  }

  private setState(task: IsTask, state: TaskState, stage: string, error?: { code: string; message: string }): void {
    const now = new Date(Date.now() + (this.faults.current.clockSkewMs ?? 0));
    task.state = state;
    task.stage = stage;
    task.stateChanged = now;
    task.changed = now;
    if (error) task.error = error;
  }

  /** 200 canceled at once / 202 stopping / 404 / 409 already terminal (§5.4). */
  cancelTask(id: string): 200 | 202 | 404 | 409 {
    const task = this.tasks.get(id);
    if (!task) return 404;
    if (['Completed', 'Failed', 'Canceled', 'Stopping'].includes(task.state)) return 409;
    task.cancelRequested = true;
    if (task.state === 'Queued' || task.state === 'Created') {
      this.setState(task, 'Canceled', 'Canceled by user', {
        code: 'Canceled',
        message: 'The task was canceled before it started.',
      });
      return 200;
    }
    this.setState(task, 'Stopping', 'Stopping');
    return 202;
  }

  listTasks(filter: { createdFrom?: Date; state?: string; type?: string }): IsTask[] {
    return [...this.tasks.values()]
      .filter(
        (t) =>
          (!filter.createdFrom || t.created >= filter.createdFrom) &&
          (!filter.state || t.state === filter.state) &&
          (!filter.type || t.type === filter.type),
      )
      .sort((a, b) => a.created.getTime() - b.created.getTime());
  }

  // ---- tenants -------------------------------------------------------------------------------

  private requireKsc(type: TenantType): void {
    if (!this.kscConfigured() && (type === 'Complete' || this.assumptions().isKscNotConfiguredAffectsSimple)) {
      throw new IsTaskError(
        'KSC_ServiceNotConfigured',
        'Kaspersky Security Center connection settings are not specified.',
      );
    }
  }

  createTenant(input: CreateTenantInput): IsTask {
    return this.startTask('CreateTenant', `name:${input.name}`, () => {
      this.requireKsc(input.type);
      if (
        this.assumptions().isStrictTenantNameUniqueness &&
        [...this.tenants.values()].some((t) => t.name === input.name)
      ) {
        throw new IsTaskError('VIRMT_TenantGroupAlreadyExists', `A tenant named "${input.name}" already exists.`);
      }
      const now = new Date();
      const tenant: IsTenant = {
        id: randomUUID(),
        created: now,
        updated: now,
        name: input.name,
        description: input.description,
        userData: input.userData,
        type: input.type,
        status: 'Inactive',
      };
      if (input.type === 'Complete') tenant.vKsc = this.createKscArtifacts(input);
      this.tenants.set(tenant.id, tenant);
      return { kind: 'tenant', tenant: { ...tenant } };
    });
  }

  /** vKSC + admin account + tenant folder, all or nothing (§3.4). */
  private createKscArtifacts(input: CreateTenantInput): IsTenant['vKsc'] {
    const folder = this.ksc.childGroup(MAIN_SERVER, 0, MULTITENANCY_FOLDER);
    if (folder && this.ksc.childGroup(MAIN_SERVER, folder.id, input.name)) {
      throw new IsTaskError(
        'VIRMT_TenantGroupAlreadyExists',
        `An administration group with a name matching the tenant name "${input.name}" already exists.`,
      );
    }
    const a = this.assumptions();
    if (this.ksc.vservers.size >= a.kscMaxVirtualServers) {
      throw new IsTaskError(
        a.isVirtualServerLimitCode,
        `The Administration Server already hosts ${this.ksc.vservers.size} virtual Administration Servers (limit ${a.kscMaxVirtualServers}).`,
      );
    }
    const createdFolder = folder ? undefined : this.ksc.addGroup(MAIN_SERVER, MULTITENANCY_FOLDER, 0);
    const parent = folder ?? createdFolder!;
    const tenantGroup = this.ksc.addGroup(MAIN_SERVER, input.name, parent.id);
    let vsId: number | undefined;
    try {
      const vs = this.ksc.addVServer(a.isVirtualServerNameFormat.replace('{name}', input.name), tenantGroup.id);
      vsId = vs.id;
      this.ksc.addUser(vs.id, input.vKsc!.name, input.vKsc!.password);
      return { id: String(vs.id), userName: input.vKsc!.name, groupId: tenantGroup.id };
    } catch (e) {
      // Roll back everything this task created.
      if (vsId !== undefined) this.ksc.deleteVServer(vsId);
      this.ksc.removeGroup(MAIN_SERVER, tenantGroup.id, 3);
      if (createdFolder) this.ksc.removeGroup(MAIN_SERVER, createdFolder.id, 3);
      if (e instanceof KscModelError && e.code === 'KLSPL_USER_EXISTS')
        throw new IsTaskError(a.isUserExistsCode, e.message);
      if (e instanceof KscModelError && e.code === 'KLSRV_VS_LIMIT')
        throw new IsTaskError(a.isVirtualServerLimitCode, e.message);
      throw e;
    }
  }

  changeActivation(tenantId: string, activate: boolean): IsTask {
    return this.startTask('ChangeTenantActivation', `tenant:${tenantId}`, () => {
      const tenant = this.tenants.get(tenantId);
      if (!tenant)
        throw new IsTaskError(
          'VIRMT_TenantWithSpecifiedIdNotFound',
          'Tenant with the specified identifier is not found.',
        );
      this.requireKsc(tenant.type);
      const next = activate ? 'Active' : 'Inactive';
      if (tenant.status !== next) {
        tenant.status = next;
        tenant.updated = new Date();
        // Complete: the IS now hands the tenant's Light Agents real SVMs, or a non-existent one (§3.5/§3.6).
        // Simple: status only, no protection effect (§2.5).
        if (tenant.type === 'Complete') {
          for (const vm of this.vmsOf(tenantId)) {
            if (activate) this.startPeriod(vm, tenant);
            else this.endPeriod(vm.biosId);
          }
        }
      }
      return { kind: 'bool', value: true };
    });
  }

  deleteTenant(tenantId: string, removeArtifacts: boolean): IsTask {
    return this.startTask('DeleteTenant', `tenant:${tenantId}`, () => {
      const tenant = this.tenants.get(tenantId);
      if (!tenant)
        throw new IsTaskError(
          'VIRMT_TenantWithSpecifiedIdNotFound',
          'Tenant with the specified identifier is not found.',
        );
      if (tenant.type === 'Complete' && removeArtifacts) {
        this.requireKsc(tenant.type);
        if (tenant.vKsc) {
          if (this.ksc.vservers.has(Number(tenant.vKsc.id))) this.ksc.deleteVServer(Number(tenant.vKsc.id));
          if (this.ksc.groups.has(tenant.vKsc.groupId)) this.ksc.removeGroup(MAIN_SERVER, tenant.vKsc.groupId, 3);
        }
        const folder = this.ksc.childGroup(MAIN_SERVER, 0, MULTITENANCY_FOLDER);
        if (folder && this.ksc.groupsOf(MAIN_SERVER).every((g) => g.parentId !== folder.id))
          this.ksc.removeGroup(MAIN_SERVER, folder.id, 3);
      }
      for (const vm of this.vmsOf(tenantId)) {
        // Deleting does not switch protection off (§3.9): a running period goes on without a tenant.
        this.reattributeToNoTenant(vm);
        this.vms.delete(vm.biosId);
      }
      this.tenants.delete(tenantId);
      return { kind: 'tenant', tenant: { ...tenant } };
    });
  }

  // ---- VMs -----------------------------------------------------------------------------------

  vmsOf(tenantId: string): IsVm[] {
    return [...this.vms.values()].filter((v) => v.tenantId === tenantId);
  }

  /** All-or-nothing registration; returns the conflicting BIOS id on a duplicate. */
  registerVms(
    tenantId: string,
    vms: { biosId: string; name?: string; userData?: string }[],
  ): { ok: IsVm[] } | { conflict: string } {
    const seen = new Set<string>();
    for (const v of vms) {
      const key = v.biosId.toLowerCase();
      if (this.vms.has(key) || seen.has(key)) return { conflict: v.biosId };
      seen.add(key);
    }
    const tenant = this.tenants.get(tenantId)!;
    const now = new Date();
    const stored = vms.map((v) => {
      const vm: IsVm = {
        id: randomUUID(),
        biosId: v.biosId.toLowerCase(),
        tenantId,
        created: now,
        updated: now,
        name: v.name,
        userData: v.userData,
      };
      this.vms.set(vm.biosId, vm);
      if (tenant.status === 'Active') this.startPeriod(vm, tenant);
      return vm;
    });
    return { ok: stored };
  }

  unregisterVm(tenantId: string, by: { vmId?: string; biosId?: string }): boolean {
    const vm = by.vmId
      ? [...this.vms.values()].find((v) => v.id === by.vmId?.toLowerCase())
      : this.vms.get((by.biosId ?? '').toLowerCase());
    if (!vm || vm.tenantId !== tenantId) return false;
    this.vms.delete(vm.biosId);
    // Unregistering never changes protection (§3.8): the period is only re-attributed to "no tenant".
    this.reattributeToNoTenant(vm);
    return true;
  }

  private reattributeToNoTenant(vm: IsVm): void {
    const open = this.periods.find((p) => p.biosId === vm.biosId && !p.to);
    if (open) {
      open.to = new Date();
      this.periods.push({ biosId: vm.biosId, vmName: vm.name, from: new Date() });
    }
  }

  /**
   * The agents of these VMs are gone (uninstalled through KSC): their protection periods end,
   * whoever they are attributed to. Called by the KSC side of the simulated site.
   */
  endProtection(biosIds: string[]): void {
    for (const id of biosIds) this.endPeriod(id.toLowerCase());
  }

  /** Test/bench seeding: protection periods as SVMs would have reported them (content for reports). */
  seedPeriods(periods: { biosId: string; vmName?: string; tenantId?: string; from: Date; to?: Date }[]): void {
    for (const p of periods) this.periods.push({ ...p, biosId: p.biosId.toLowerCase() });
  }

  /** Test hook: every generated report file expires now (the next download answers 404, as after its lifetime). */
  expireReports(): number {
    const now = new Date(Date.now() - 1);
    for (const r of this.reports.values()) r.expiresAt = now;
    return this.reports.size;
  }

  // ---- reports -------------------------------------------------------------------------------

  private startPeriod(vm: IsVm, tenant: IsTenant): void {
    if (!this.periods.some((p) => p.biosId === vm.biosId && !p.to))
      this.periods.push({ biosId: vm.biosId, vmName: vm.name, tenantId: tenant.id, from: new Date() });
  }

  private endPeriod(biosId: string): void {
    for (const p of this.periods) if (p.biosId === biosId && !p.to) p.to = new Date();
  }

  createReport(filter: { tenantId?: string; from?: Date; to?: Date }): IsTask {
    return this.startTask('CreateTenantReport', `report:${randomUUID()}`, () => {
      const to = filter.to ?? new Date();
      const from = filter.from ?? new Date(0);
      const rows = this.assumptions().isReportsEnabled
        ? this.periods
            .filter((p) => (!filter.tenantId || p.tenantId === filter.tenantId) && p.from <= to && (p.to ?? to) >= from)
            .map((p) => {
              const tenant = p.tenantId ? this.tenants.get(p.tenantId) : undefined;
              const start = p.from < from ? from : p.from;
              const end = !p.to || p.to > to ? to : p.to;
              return [
                tenant?.id ?? '',
                tenant?.name ?? '',
                p.biosId,
                p.vmName ?? '',
                isTimestamp(start),
                isTimestamp(end),
              ].join(';');
            })
        : [];
      const now = new Date();
      const lifetimeMs = this.assumptions().isReportLifetimeHours * 3600_000;
      const report: Report = {
        id: randomUUID(),
        created: now,
        expiresAt: new Date(now.getTime() + lifetimeMs),
        csv: rows.map((r) => `${r}\r\n`).join(''),
      };
      this.reports.set(report.id, report);
      return { kind: 'text', value: report.id };
    });
  }

  snapshot() {
    return {
      tenants: [...this.tenants.values()],
      vms: [...this.vms.values()],
      tasks: [...this.tasks.values()],
      reports: [...this.reports.values()].map(({ csv, ...r }) => ({ ...r, bytes: Buffer.byteLength(csv) })),
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** `YYYY-MM-DDThh:mm:ss`, UTC, no zone suffix (§1.4). */
export function isTimestamp(d: Date): string {
  return d.toISOString().slice(0, 19);
}
