import { waitForVendor } from '@tpo/platform';
import { KscProtocolError, KscTimeoutError } from './errors';
import { kscParams, KscTyped, KscValue } from './ksc-codec';
import { asRecord, asRecords, KscRecord, KscTaskEvent, requireNumber, requireString } from './ksc-records';
import { KscSession } from './ksc-session';
import {
  RemoteDeinstallInput,
  remoteDeinstallTaskData,
  RemoteInstallInput,
  RemoteInstallTemplate,
  remoteInstallTaskData,
  TaskTarget,
} from './task-templates';

export interface TaskStatistics {
  /** "1": not yet distributed to the device. */
  pending: number;
  running: number;
  completed: number;
  completedWithWarning: number;
  failed: number;
  scheduled: number;
  paused: number;
  completedPercent: number;
  needReboot: number;
  raw: KscRecord;
}

/** `state_code` / `nHostStateMask` bits of per-device task status (addendum §1.5, DOCUMENTED KSC16/a00181). */
export const HOST_STATE = {
  PENDING: 0x01,
  RUNNING: 0x02,
  SUCCEEDED: 0x04,
  WARNING: 0x08,
  FAILED: 0x10,
  SCHEDULED: 0x20,
  PAUSED: 0x40,
  ALL: 0x7f,
} as const;

/** Fields of a host status record (addendum §1.5, DOCUMENTED KSC16/a00182). */
export const HOST_STATUS_FIELDS = [
  'hostname',
  'hostdn',
  'domain_name',
  'state_code',
  'state_descr',
  'try_count',
  'start_time',
  'finish_time',
  'completed_percent',
];

export interface HostTaskStatus extends KscRecord {
  /** The device id (KLHST_WKS_HOSTNAME). */
  hostname?: string;
  hostdn?: string;
  state_code?: number;
  /** Failure or warning text. */
  state_descr?: string;
  try_count?: number;
  finish_time?: Date | null;
}

/** A host status is final when it succeeded, warned or failed. */
export function isFinalHostState(code: number): boolean {
  return (
    (code & (HOST_STATE.SUCCEEDED | HOST_STATE.WARNING | HOST_STATE.FAILED)) !== 0 &&
    (code & (HOST_STATE.PENDING | HOST_STATE.RUNNING)) === 0
  );
}

// ASSUMPTION (ksc-openapi.md §3.3 / Q5): the Network Agent triple of the official "show message"
// sample (1103 / 1.0.0.0 / 86) also applies to KLNAG_TASK_RECONNECTION [I]; verify with GetTaskData.
export const NETWORK_AGENT_TASK_PRODUCT = { product: '1103', version: '1.0.0.0', component: '86' } as const;

/** Tasks (ksc-openapi.md §3.6) on the session's server; history read through EventProcessing (§4.3). */
export class TasksApi {
  constructor(
    private readonly session: KscSession,
    private readonly remoteInstall?: RemoteInstallTemplate,
  ) {}

  /** Tasks.AddTask with full task settings; returns the task id. */
  async addTask(pData: Record<string, unknown>): Promise<string> {
    return requireString(await this.session.call('Tasks.AddTask', { pData }), 'PxgRetVal', 'Tasks.AddTask');
  }

  /** Device-list targets are attached with AddHostToTask after creation. */
  private async addTargeted(pData: Record<string, unknown>, target: TaskTarget): Promise<string> {
    const id = await this.addTask(pData);
    if ('hostNames' in target) for (const h of target.hostNames) await this.addHostToTask(id, h);
    return id;
  }

  /**
   * "Change Administration Server" to the vAS `vServerName` (its KLVSRV_DN) for a main-server group
   * or a list of main-server devices; the agents restart connected to the vAS (§3.3).
   */
  async addReconnectionTask(
    vServerName: string,
    target: TaskTarget,
    opts: { displayName?: string; reconnectionTimeoutMs?: number } = {},
  ): Promise<string> {
    const p = NETWORK_AGENT_TASK_PRODUCT;
    return this.addTargeted(
      {
        TASKID_PRODUCT_NAME: p.product,
        TASKID_VERSION: p.version,
        TASKID_COMPONENT_NAME: p.component,
        TASK_NAME: 'KLNAG_TASK_RECONNECTION',
        TASK_ADDITIONAL_PARAMS: kscParams({
          KLNAG_VS_NAME: vServerName,
          KLNAG_TASK_RECONNECTION_TIMEOUT: opts.reconnectionTimeoutMs ?? 60_000,
        }),
        TASKSCH_TYPE: 0,
        TASK_INFO_PARAMS: kscParams({
          DisplayName: (opts.displayName ?? `Move devices to ${vServerName}`).slice(0, 100),
          PRTS_TASK_GROUPID: 'groupId' in target ? target.groupId : -1,
          'klprts-TaskScheduleSubtype': 256,
        }),
      },
      target,
    );
  }

  /**
   * `Remote Installation` (1093 / 1.0.0.0 / 87, DOCUMENTED) of packages (ids as known on this
   * session's server) onto a group or a device list; devices without a Network Agent are pushed to
   * with `accounts` (passwords from protectPassword). Reboot: never, unless asked (RebootOptions).
   */
  async addRemoteInstallTask(
    input: RemoteInstallInput,
    template: RemoteInstallTemplate | undefined = this.remoteInstall,
  ): Promise<string> {
    return this.addTargeted(remoteInstallTaskData(input, template), input.target);
  }

  /** `Remote Deinstallation` (1093 / 1.0.0.0 / 87, DOCUMENTED) of one product; its parameter names are ASSUMPTIONs (RemoteTaskKeys). */
  async addRemoteDeinstallTask(
    input: RemoteDeinstallInput,
    template: RemoteInstallTemplate | undefined = this.remoteInstall,
  ): Promise<string> {
    return this.addTargeted(remoteDeinstallTaskData(input, template), input.target);
  }

  /** Tasks.ProtectPassword (ksc-openapi.md §3.6): the server-encrypted form of an account password for task settings. */
  async protectPassword(password: string): Promise<Buffer> {
    const v = (await this.session.call('Tasks.ProtectPassword', { strPassword: password }, { idempotent: true }))
      .PxgRetVal;
    if (Buffer.isBuffer(v)) return v;
    if (v instanceof KscTyped && typeof v.value === 'string') return Buffer.from(v.value, 'base64');
    if (typeof v === 'string' && v !== '') return Buffer.from(v, 'base64');
    throw new KscProtocolError('Tasks.ProtectPassword: no protected password in the answer');
  }

  /**
   * Per-device results (addendum §1.5, DOCUMENTED): ResetHostIteratorForTaskStatusEx →
   * GetHostStatusRecordsCount → GetHostStatusRecordRange pages → ReleaseHostStatusIterator (in finally).
   */
  async *hostStatuses(
    taskId: string,
    opts: { stateMask?: number; fields?: string[]; pageSize?: number; lifetimeSeconds?: number } = {},
  ): AsyncGenerator<HostTaskStatus> {
    const r = await this.session.call('Tasks.ResetHostIteratorForTaskStatusEx', {
      strTask: taskId,
      pFields2Return: opts.fields ?? HOST_STATUS_FIELDS,
      pFields2Order: [kscParams({ Name: 'hostname', Asc: true })],
      nHostStateMask: opts.stateMask ?? HOST_STATE.ALL,
      nLifetime: opts.lifetimeSeconds ?? 600,
    });
    const it = requireString(r, 'strHostIteratorId', 'Tasks.ResetHostIteratorForTaskStatusEx');
    try {
      const count = requireNumber(
        await this.session.call('Tasks.GetHostStatusRecordsCount', { strHostIteratorId: it }),
        'PxgRetVal',
        'Tasks.GetHostStatusRecordsCount',
      );
      const page = opts.pageSize ?? 200;
      for (let start = 0; start < count; start += page) {
        const range = await this.session.call('Tasks.GetHostStatusRecordRange', {
          strHostIteratorId: it,
          nStart: start,
          nEnd: Math.min(count, start + page),
        });
        const rows = asRecords<HostTaskStatus>(asRecord(range.pParHostStatus as KscValue).statuses);
        if (rows.length === 0) break;
        yield* rows;
      }
    } finally {
      await this.session.call('Tasks.ReleaseHostStatusIterator', { strHostIteratorId: it }).catch(() => undefined);
    }
  }

  async hostStatusList(taskId: string, opts: { stateMask?: number } = {}): Promise<HostTaskStatus[]> {
    const out: HostTaskStatus[] = [];
    for await (const s of this.hostStatuses(taskId, opts)) out.push(s);
    return out;
  }

  async getTask(taskId: string): Promise<KscRecord> {
    return asRecord((await this.session.call('Tasks.GetTask', { strTask: taskId })).PxgRetVal);
  }

  /**
   * Full settings in AddTask format: the way to capture a console-made task as a template. Wire
   * types of numbers are kept (KscTyped) so the record can be sent back unchanged.
   */
  async getTaskData(taskId: string): Promise<KscRecord> {
    return asRecord((await this.session.call('Tasks.GetTaskData', { strTask: taskId }, { keepTypes: true })).PxgRetVal);
  }

  async updateTask(taskId: string, pData: Record<string, unknown>): Promise<void> {
    await this.session.call('Tasks.UpdateTask', { strTask: taskId, pData });
  }

  async runTask(taskId: string): Promise<void> {
    await this.session.call('Tasks.RunTask', { strTask: taskId });
  }

  async cancelTask(taskId: string): Promise<void> {
    await this.session.call('Tasks.CancelTask', { strTask: taskId });
  }

  async deleteTask(taskId: string): Promise<void> {
    await this.session.call('Tasks.DeleteTask', { strTask: taskId });
  }

  async addHostToTask(taskId: string, hostName: string): Promise<void> {
    await this.session.call('Tasks.AddHostToTask', { strTask: taskId, strHostName: hostName });
  }

  async statistics(taskId: string): Promise<TaskStatistics> {
    const raw = asRecord((await this.session.call('Tasks.GetTaskStatistics2', { strTask: taskId })).PxgRetVal);
    const n = (k: string) => (typeof raw[k] === 'number' ? (raw[k] as number) : 0);
    return {
      pending: n('1'),
      running: n('2'),
      completed: n('4'),
      completedWithWarning: n('8'),
      failed: n('16'),
      scheduled: n('32'),
      paused: n('64'),
      completedPercent: n('GNRL_COMPLETED_PERCENT'),
      needReboot: n('KLTSK_NEED_RBT_CNT'),
      raw,
    };
  }

  /**
   * Polls statistics until no device is pending or running (and at least `expectedDevices` have
   * finished, when given). Devices whose agent never picks the task up keep it pending (§8.2).
   */
  async waitForTask(
    taskId: string,
    opts: { expectedDevices?: number; timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
  ): Promise<TaskStatistics> {
    const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
    for (;;) {
      const s = await this.statistics(taskId);
      const finished = s.completed + s.completedWithWarning + s.failed;
      if (s.pending + s.running === 0 && finished >= (opts.expectedDevices ?? 1)) return s;
      if (Date.now() >= deadline)
        throw new KscTimeoutError(`task ${taskId} not finished: ${s.pending} pending, ${s.running} running`);
      await waitForVendor(opts.intervalMs ?? 2000, opts.signal);
    }
  }

  /** History events via GetTaskHistory + EventProcessing, released in finally. */
  async *history(
    taskId: string,
    opts: { hostName?: string; fields?: string[]; pageSize?: number } = {},
  ): AsyncGenerator<KscTaskEvent> {
    const r = await this.session.call('Tasks.GetTaskHistory', {
      strTask: taskId,
      pFields2Return: opts.fields ?? [],
      pSortFields: [],
      strHostName: opts.hostName ?? '',
      pFilter: {},
    });
    const it = requireString(r, 'strIteratorId', 'Tasks.GetTaskHistory');
    try {
      const count = requireNumber(
        await this.session.call('EventProcessing.GetRecordCount', { strIteratorId: it }),
        'PxgRetVal',
        'EventProcessing.GetRecordCount',
      );
      const page = opts.pageSize ?? 500;
      for (let start = 0; start < count; start += page) {
        const range = await this.session.call('EventProcessing.GetRecordRange', {
          strIteratorId: it,
          nStart: start,
          nEnd: Math.min(count, start + page),
        });
        const events = asRecords<KscTaskEvent>(asRecord(range.pParamsEvents as KscValue).KLEVP_EVENT_RANGE_ARRAY);
        if (events.length === 0) break;
        yield* events;
      }
    } finally {
      await this.session.call('EventProcessing.ReleaseIterator', { strIteratorId: it }).catch(() => undefined);
    }
  }

  async historyList(taskId: string, opts: { hostName?: string; fields?: string[] } = {}): Promise<KscTaskEvent[]> {
    const out: KscTaskEvent[] = [];
    for await (const e of this.history(taskId, opts)) out.push(e);
    return out;
  }
}
