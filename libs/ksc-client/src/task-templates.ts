import { kscParams } from './ksc-codec';

/** A group task (`PRTS_TASK_GROUPID`) or a device-list task (AddHostToTask per device). */
export type TaskTarget = { groupId: number } | { hostNames: string[] };

/**
 * The "Install application remotely" task. ASSUMPTION (ksc-openapi.md §3.7 / Q4): the vendor's
 * TASK_NAME and package-id key are unpublished. Capture a console-made task with
 * Tasks.GetTaskData and pass it as `baseTaskData` (plus its names) — the defaults below are
 * placeholders that a real KSC will not recognise.
 */
export interface RemoteInstallTemplate {
  taskName: string;
  /** Key in TASK_ADDITIONAL_PARAMS that lists the package ids. */
  packagesKey: string;
  product: string;
  version: string;
  component?: string;
  /** Extra TASK_ADDITIONAL_PARAMS (reboot options, credentials, …). */
  additionalParams?: Record<string, unknown>;
  /** Full pData of a console-created task; cloned with name, target and packages replaced. */
  baseTaskData?: Record<string, unknown>;
}

/** ASSUMPTION (ksc-openapi.md §3.7 / Q4): placeholder names; Administration Server product 1093 [C], component invented. */
export const PLACEHOLDER_REMOTE_INSTALL_TEMPLATE: RemoteInstallTemplate = {
  taskName: 'KLRI_TASK_REMOTE_INSTALL',
  packagesKey: 'KLTSK_RI_PACKAGES_IDS',
  product: '1093',
  version: '1.0.0.0',
  component: '1093',
};

function container(v: unknown): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array)) return v as Record<string, unknown>;
  return {};
}

export function remoteInstallTaskData(t: RemoteInstallTemplate, packageIds: number[], target: TaskTarget, displayName: string): Record<string, unknown> {
  const base = { ...t.baseTaskData };
  // A captured task carries its own id; the new task must get a fresh one.
  delete base.TASK_UNIQUE_ID;
  const info = container(base.TASK_INFO_PARAMS);
  const extra = container(base.TASK_ADDITIONAL_PARAMS);
  return {
    TASKID_PRODUCT_NAME: t.product,
    TASKID_VERSION: t.version,
    ...(t.component ? { TASKID_COMPONENT_NAME: t.component } : {}),
    TASKSCH_TYPE: 0,
    ...base,
    TASK_NAME: t.taskName,
    TASK_ADDITIONAL_PARAMS: kscParams({ ...extra, ...t.additionalParams, [t.packagesKey]: packageIds }),
    TASK_INFO_PARAMS: kscParams({
      'klprts-TaskScheduleSubtype': 256,
      ...info,
      DisplayName: displayName.slice(0, 100),
      PRTS_TASK_GROUPID: 'groupId' in target ? target.groupId : -1,
    }),
  };
}
