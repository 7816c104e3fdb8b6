import { randomBytes } from 'node:crypto';
import { SimulatorAssumptions } from '../config/assumptions';
import { FaultController } from '../faults/faults';
import { KscModel } from './ksc-model';
import { KscLong } from './ksc-codec';
import { KscPasswordVault } from './ksc-password-vault';
import {
  applyTaskEffect,
  checkTaskType,
  hasNetworkAgent,
  HostTaskState,
  infoParams,
  needsNetworkAgent,
  RI_TEXT,
  TaskData,
} from './ksc-task-effects';
import { KscWireError } from './ksc-wire-error';

/** Per-device task states (ksc-openapi.md §3.6, addendum §1.5): 1 pending, 2 running, 4 OK, 8 warning, 16 failed. */
export type { HostTaskState };

interface HostRun {
  dn: string;
  state: HostTaskState;
  descr: string;
  tries: number;
  start?: Date;
  finish?: Date;
}

/**
 * ASSUMPTION (ksc-openapi.md §3.6 / §4.3): event attribute names follow KSC's event lists
 * (event_type, task_new_state, hostname, rise_time, descr, …); only task_new_state and the
 * KLPRCI_TaskState type are documented.
 */
export interface TaskEvent {
  event_db_id: KscLong;
  event_type: 'KLPRCI_TaskState';
  event_type_display_name: string;
  task_new_state: 1 | 3 | 4;
  severity: number;
  hostname: string;
  hostdn: string;
  rise_time: Date;
  descr: string;
  task_id: string;
  task_display_name: string;
}

interface SimTask {
  id: string;
  vsId: number;
  data: TaskData;
  hostNames: string[];
  created: Date;
  runs: number;
  hosts: Map<string, HostRun>;
  timers: NodeJS.Timeout[];
  /** When the current run is due to end, and what it ends with (settled lazily if a timer is late). */
  due?: { at: number; reachable: string[]; injected?: string };
  events: TaskEvent[];
}

/** Tasks of all servers of a site; every call is scoped to the caller's server. */
export class KscTasks {
  private readonly tasks = new Map<string, SimTask>();
  private nextEventId = 1;

  constructor(
    private readonly ksc: KscModel,
    private readonly faults: FaultController,
    private readonly assumptions: () => SimulatorAssumptions,
    private readonly vault: KscPasswordVault,
    private readonly acceptsPush: (user: string, password: string) => boolean = () => true,
  ) {}

  add(vsId: number, data: TaskData): string {
    if (typeof data.TASK_NAME !== 'string' || data.TASK_NAME === '')
      throw new KscWireError('STDE_BADPARAM', 'TASK_NAME is required');
    if (data.TASKID_PRODUCT_NAME === undefined)
      throw new KscWireError('STDE_BADPARAM', 'TASKID_PRODUCT_NAME is required');
    checkTaskType(data);
    const displayName = String(infoParams(data).DisplayName ?? '');
    if (displayName.length > 100) throw new KscWireError('STDE_BADPARAM', 'DisplayName is longer than 100 characters');
    this.validateGroup(vsId, data);
    const custom =
      typeof data.TASK_UNIQUE_ID === 'string' && data.TASK_UNIQUE_ID !== '' ? data.TASK_UNIQUE_ID : undefined;
    if (custom && (custom.length > 50 || this.tasks.has(custom)))
      throw new KscWireError('STDE_BADPARAM', 'TASK_UNIQUE_ID is too long or already used');
    // ASSUMPTION (ksc-openapi.md §3.3): task id format is unknown; `_LOCAL_<hex>` mimics the example.
    const id = custom ?? `_LOCAL_${randomBytes(12).toString('hex')}`;
    this.tasks.set(id, {
      id,
      vsId,
      data: { ...data, TASK_UNIQUE_ID: id },
      hostNames: [],
      created: new Date(),
      runs: 0,
      hosts: new Map(),
      timers: [],
      events: [],
    });
    return id;
  }

  private validateGroup(vsId: number, data: TaskData): void {
    const gid = groupIdOf(data);
    if (gid === undefined) return;
    const g = this.ksc.groups.get(gid);
    if (!g || g.vsId !== vsId) throw new KscWireError('STDE_NOTFOUND', `group ${gid} not found`);
  }

  require(vsId: number, id: string): SimTask {
    const t = this.tasks.get(id);
    if (!t || t.vsId !== vsId) throw new KscWireError('STDE_NOTFOUND', `task ${id} not found`);
    return t;
  }

  summary(vsId: number, id: string): Record<string, unknown> {
    const t = this.require(vsId, id);
    return {
      DisplayName: infoParams(t.data).DisplayName ?? '',
      TASK_NAME: t.data.TASK_NAME,
      TASKID_PRODUCT_NAME: t.data.TASKID_PRODUCT_NAME,
      TASKID_VERSION: t.data.TASKID_VERSION,
      TASK_UNIQUE_ID: t.id,
      PRTS_TASK_CREATION_DATE: t.created,
    };
  }

  /** ASSUMPTION (ksc-openapi.md §3.6): UpdateTask merges top-level keys and both nested containers. */
  update(vsId: number, id: string, patch: TaskData): void {
    const t = this.require(vsId, id);
    const next: TaskData = { ...t.data, ...patch, TASK_UNIQUE_ID: t.id };
    checkTaskType(next);
    for (const key of ['TASK_INFO_PARAMS', 'TASK_ADDITIONAL_PARAMS'] as const) {
      const before = t.data[key];
      const after = patch[key];
      if (isContainer(before) && isContainer(after)) next[key] = { ...before, ...after };
    }
    this.validateGroup(vsId, next);
    t.data = next;
  }

  delete(vsId: number, id: string): void {
    const t = this.require(vsId, id);
    for (const timer of t.timers) clearTimeout(timer);
    this.tasks.delete(id);
  }

  addHost(vsId: number, id: string, hostName: string): void {
    const t = this.require(vsId, id);
    this.ksc.requireHost(vsId, hostName);
    if (!t.hostNames.includes(hostName)) t.hostNames.push(hostName);
  }

  /** Group task: every device of the group and its subgroups; device-list task: the added devices. */
  private targets(t: SimTask): string[] {
    const gid = groupIdOf(t.data);
    if (gid === undefined) return t.hostNames.filter((n) => this.ksc.hosts.get(n)?.vsId === t.vsId);
    const groups = new Set([gid]);
    for (let grown = true; grown;) {
      grown = false;
      for (const g of this.ksc.groups.values()) {
        if (g.vsId === t.vsId && groups.has(g.parentId) && !groups.has(g.id)) {
          groups.add(g.id);
          grown = true;
        }
      }
    }
    return this.ksc
      .hostsOf(t.vsId)
      .filter((h) => groups.has(h.groupId))
      .map((h) => h.hostName);
  }

  /** RunTask returns at once; devices go 1 → 2 → 4/16 over the fault controller's duration for TASK_NAME. */
  run(vsId: number, id: string): void {
    const t = this.require(vsId, id);
    for (const timer of t.timers) clearTimeout(timer);
    t.timers = [];
    t.runs++;
    const tries = new Map([...t.hosts].map(([n, h]) => [n, h.tries]));
    t.hosts = new Map(
      this.targets(t).map((n) => [
        n,
        { dn: this.ksc.hosts.get(n)!.dn, state: 1 as HostTaskState, descr: '', tries: (tries.get(n) ?? 0) + 1 },
      ]),
    );
    const name = String(t.data.TASK_NAME);
    const duration = this.faults.taskDuration(name);
    const injected = this.faults.takeTaskFailure(name);
    const reachable = [...t.hosts.keys()].filter((n) => {
      const h = this.ksc.hosts.get(n);
      return h !== undefined && (!needsNetworkAgent(t.data) || hasNetworkAgent(h));
    });
    t.due = { at: Date.now() + duration, reachable, injected: injected?.message };
    t.timers.push(
      setTimeout(() => {
        for (const n of reachable) if (t.hosts.get(n)?.state === 1) this.setState(t, n, 2, 'Task started');
      }, duration / 2),
      setTimeout(() => this.settle(t), duration),
    );
  }

  /**
   * Ends the current run's devices once it is due. Called by the timer and, defensively, by every
   * read of the task, so a run can never stay "running" past its duration (seen under heavy load).
   */
  private settle(t: SimTask): void {
    const due = t.due;
    if (!due || Date.now() < due.at) return;
    t.due = undefined;
    for (const n of due.reachable) {
      const state = t.hosts.get(n)?.state;
      if (state !== 1 && state !== 2) continue;
      try {
        this.finishHost(t, n, due.injected);
      } catch (e) {
        this.setState(t, n, 16, `Simulator error: ${(e as Error).message}`);
      }
    }
  }

  private finishHost(t: SimTask, hostName: string, injectedError: string | undefined): void {
    const host = this.ksc.hosts.get(hostName);
    let error = injectedError;
    if (!error && (!host || host.vsId !== t.vsId))
      error = 'The device is no longer managed by this Administration Server';
    if (!error && this.faults.isFailingHost(host!.dn, host!.biosId, host!.hostName))
      error = 'Simulated failure on this device';
    if (error) return this.setState(t, hostName, 16, error);
    const outcome = applyTaskEffect(
      {
        ksc: this.ksc,
        assumptions: this.assumptions(),
        faults: this.faults,
        vault: this.vault,
        acceptsPush: this.acceptsPush,
      },
      t.vsId,
      t.data,
      host!,
    );
    this.setState(t, hostName, outcome.state, outcome.descr);
  }

  private setState(t: SimTask, hostName: string, state: HostTaskState, descr: string): void {
    const h = t.hosts.get(hostName);
    if (!h) return;
    h.state = state;
    if (state === 2) h.start = new Date();
    if (state !== 1 && state !== 2) {
      h.finish = new Date();
      h.descr = descr;
    }
    const newState = state === 2 ? 1 : state === 16 ? 3 : 4;
    t.events.push({
      event_db_id: new KscLong(this.nextEventId++),
      event_type: 'KLPRCI_TaskState',
      event_type_display_name: newState === 1 ? 'Task started' : newState === 3 ? 'Task failed' : 'Task completed',
      task_new_state: newState,
      severity: newState === 3 ? 4 : 1,
      hostname: hostName,
      hostdn: h.dn,
      rise_time: new Date(),
      descr,
      task_id: t.id,
      task_display_name: String(infoParams(t.data).DisplayName ?? ''),
    });
  }

  /** ASSUMPTION (ksc-openapi.md §3.6): CancelTask stops the run; unfinished devices end failed (16). */
  cancel(vsId: number, id: string): void {
    const t = this.require(vsId, id);
    for (const timer of t.timers) clearTimeout(timer);
    t.timers = [];
    t.due = undefined;
    for (const [n, h] of t.hosts) if (h.state === 1 || h.state === 2) this.setState(t, n, 16, 'Task stopped');
  }

  statistics(vsId: number, id: string): Record<string, number> {
    const t = this.require(vsId, id);
    this.settle(t);
    const counts: Record<string, number> = { '1': 0, '2': 0, '4': 0, '8': 0, '16': 0, '32': 0, '64': 0 };
    for (const h of t.hosts.values()) counts[String(h.state)]++;
    const done = counts['4'] + counts['8'] + counts['16'];
    const needReboot = [...t.hosts.values()].filter((h) => h.state === 8 && h.descr === RI_TEXT.rebootRequired).length;
    return {
      ...counts,
      GNRL_COMPLETED_PERCENT: t.hosts.size === 0 ? 0 : Math.round((done * 100) / t.hosts.size),
      KLTSK_NEED_RBT_CNT: needReboot,
    };
  }

  /** Host status records (addendum §1.5, field names DOCUMENTED KSC16/a00182) of the devices whose state is in `mask`. */
  hostStatuses(vsId: number, id: string, mask: number): Record<string, unknown>[] {
    const t = this.require(vsId, id);
    this.settle(t);
    return [...t.hosts]
      .filter(([, h]) => (h.state & mask) !== 0)
      .map(([hostName, h]) => ({
        hostname: hostName,
        hostdn: h.dn,
        domain_name: '',
        state_code: h.state,
        state_descr: h.descr,
        try_count: h.tries,
        start_time: h.start,
        finish_time: h.finish,
        completed_percent: h.state === 1 ? 0 : h.state === 2 ? 50 : 100,
      }));
  }

  history(vsId: number, id: string, hostName: string): TaskEvent[] {
    const t = this.require(vsId, id);
    this.settle(t);
    return t.events.filter((e) => hostName === '' || e.hostname === hostName);
  }

  deleteForVServer(vsId: number): void {
    for (const t of [...this.tasks.values()]) if (t.vsId === vsId) this.delete(vsId, t.id);
  }

  snapshot() {
    return [...this.tasks.values()].map((t) => ({
      id: t.id,
      vsId: t.vsId,
      name: t.data.TASK_NAME,
      displayName: infoParams(t.data).DisplayName,
      groupId: groupIdOf(t.data),
      hostList: t.hostNames,
      runs: t.runs,
      hosts: Object.fromEntries([...t.hosts].map(([n, h]) => [n, h.state])),
      events: t.events.length,
    }));
  }

  stop(): void {
    for (const t of this.tasks.values()) for (const timer of t.timers) clearTimeout(timer);
  }
}

function groupIdOf(data: TaskData): number | undefined {
  const g = infoParams(data).PRTS_TASK_GROUPID;
  const n = typeof g === 'number' ? g : undefined;
  return n === undefined || n < 0 ? undefined : n;
}

function isContainer(v: unknown): v is TaskData {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);
}
