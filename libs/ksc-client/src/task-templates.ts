import { kscParams } from './ksc-codec';

/** A group task (`PRTS_TASK_GROUPID`) or a device-list task (AddHostToTask per device). */
export type TaskTarget = { groupId: number } | { hostNames: string[] };

/** Which product executes a task type, and its TASK_NAME. */
export interface TaskType {
  taskName: string;
  product: string;
  version: string;
  component: string;
}

/**
 * DOCUMENTED (ksc-openapi-addendum.md §0, §1.1: KSC15/a00259, KSC16/a00266): the Administration
 * Server's deployment tasks, product 1093, version 1.0.0.0, component 87. The name has a space.
 */
export const REMOTE_INSTALLATION_TASK: TaskType = {
  taskName: 'Remote Installation',
  product: '1093',
  version: '1.0.0.0',
  component: '87',
};
export const REMOTE_DEINSTALLATION_TASK: TaskType = {
  taskName: 'Remote Deinstallation',
  product: '1093',
  version: '1.0.0.0',
  component: '87',
};

/**
 * TASK_ADDITIONAL_PARAMS key names of the Remote Installation / Deinstallation tasks. The
 * package, move and reboot keys are DOCUMENTED (addendum §1.2, the RI option set of
 * PackagesApi.CreateExecutablePkgAsync); the others are labelled ASSUMPTIONs (taken from an old
 * public Kaspersky header, addendum §1.2 / §4): capture a console-made task with Tasks.GetTaskData
 * (`npm run ksc:capture`) and override them here if a real server names them differently.
 */
export interface RemoteTaskKeys {
  /** DOCUMENTED in the RI option set; in the task itself ASSUMPTION (strong). */
  packages: string;
  /** DOCUMENTED: group (of the task's server) the device moves to when the task succeeds. */
  groupToMoveHost: string;
  /** ASSUMPTION (old header `KLTSK_RI_LOGIN_LIST`): list of accounts used to push to a device. */
  loginList: string;
  /** ASSUMPTION (old header `KLTSK_RI_USER_NAME`): account name inside one login-list entry. */
  loginUser: string;
  /** ASSUMPTION (not found anywhere): the Tasks.ProtectPassword blob inside one login-list entry. */
  loginPassword: string;
  /** ASSUMPTION (old header `KLTSK_RI_SKIP_PRESENT_PRODS`): skip devices where the product is present. */
  skipPresentProducts: string;
  /** ASSUMPTION (old header `KLTSK_RU_PRODUCT_NAME` / `_VERSION`): product a deinstallation removes. */
  uninstallProductName: string;
  uninstallProductVersion: string;
}

export const DEFAULT_REMOTE_TASK_KEYS: RemoteTaskKeys = {
  packages: 'KLTSK_RI_PACKAGES_IDS',
  groupToMoveHost: 'KLTSK_RI_GROUP_TO_MOVE_HOST',
  loginList: 'LoginList',
  loginUser: 'UserName',
  loginPassword: 'Password',
  skipPresentProducts: 'KLTSK_RI_SKIP_PRESENT_PRODS',
  uninstallProductName: 'ProductName',
  uninstallProductVersion: 'ProductVersion',
};

/** How a finished installation may restart the device (DOCUMENTED keys `KLTSK_RU_REBOOT_*`, addendum §1.2). */
export interface RebootOptions {
  /** Default `never`: a tenant's VM is never restarted without the provider asking for it. */
  mode: 'never' | 'ask' | 'force';
  askPeriodMinutes?: number;
  forcePeriodMinutes?: number;
}

/** The DOCUMENTED reboot keys for a mode; `KLTSK_RI_RBT_USE_TSK_SETTINGS` makes the task's choice win over the package's. */
export function rebootParams(r: RebootOptions = { mode: 'never' }): Record<string, unknown> {
  return {
    KLTSK_RI_RBT_USE_TSK_SETTINGS: true,
    KLTSK_RU_REBOOT_IMMEDIATELY: r.mode === 'force' && (r.forcePeriodMinutes ?? 0) === 0,
    KLTSK_RU_REBOOT_ASK_FOR_REBOOT: r.mode === 'ask',
    ...(r.mode === 'ask' ? { KLTSK_RU_REBOOT_ASK_FOR_REBOOT_PERIOD: r.askPeriodMinutes ?? 30 } : {}),
    ...(r.mode === 'force' && (r.forcePeriodMinutes ?? 0) > 0
      ? { KLTSK_RU_REBOOT_FORCE_REBOOT_PERIOD: r.forcePeriodMinutes }
      : {}),
  };
}

/** An account the Remote Installation task pushes with; the password already went through Tasks.ProtectPassword. */
export interface ProtectedAccount {
  user: string;
  protectedPassword: Buffer;
}

/**
 * The captured settings of a console-made task (Tasks.GetTaskData) to clone, and the key names;
 * without a capture the documented task identity and the key defaults above are used.
 */
export interface RemoteInstallTemplate {
  taskType?: TaskType;
  keys?: Partial<RemoteTaskKeys>;
  /** Full pData of a console-created task; cloned with name, target, packages and accounts replaced. */
  baseTaskData?: Record<string, unknown>;
}

function container(v: unknown): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array))
    return v as Record<string, unknown>;
  return {};
}

/** Task settings (ksc-openapi.md §3.6) of one task type with its additional params, cloned from a captured task when given. */
export function deviceTaskData(
  type: TaskType,
  additional: Record<string, unknown>,
  target: TaskTarget,
  displayName: string,
  baseTaskData?: Record<string, unknown>,
): Record<string, unknown> {
  const base = { ...baseTaskData };
  // A captured task carries its own id; the new task must get a fresh one.
  delete base.TASK_UNIQUE_ID;
  const info = container(base.TASK_INFO_PARAMS);
  const extra = container(base.TASK_ADDITIONAL_PARAMS);
  return {
    TASKSCH_TYPE: 0,
    ...base,
    TASKID_PRODUCT_NAME: type.product,
    TASKID_VERSION: type.version,
    TASKID_COMPONENT_NAME: type.component,
    TASK_NAME: type.taskName,
    TASK_ADDITIONAL_PARAMS: kscParams({ ...extra, ...additional }),
    TASK_INFO_PARAMS: kscParams({
      'klprts-TaskScheduleSubtype': 256,
      ...info,
      DisplayName: displayName.slice(0, 100),
      PRTS_TASK_GROUPID: 'groupId' in target ? target.groupId : -1,
    }),
  };
}

export interface RemoteInstallInput {
  /** Package ids as known on the task's server (they differ per vAS after retranslation). */
  packageIds: number[];
  target: TaskTarget;
  displayName: string;
  /** Group of the task's server to move each device into once installed; absent = stays where it is (Unassigned devices for a new one). */
  moveToGroupId?: number;
  reboot?: RebootOptions;
  /** Accounts to push with (devices without a Network Agent); never logged. */
  accounts?: ProtectedAccount[];
}

export function remoteInstallTaskData(
  input: RemoteInstallInput,
  template: RemoteInstallTemplate = {},
): Record<string, unknown> {
  const k = { ...DEFAULT_REMOTE_TASK_KEYS, ...template.keys };
  const additional: Record<string, unknown> = {
    [k.packages]: input.packageIds,
    [k.skipPresentProducts]: true,
    ...rebootParams(input.reboot),
  };
  if (input.moveToGroupId !== undefined) additional[k.groupToMoveHost] = input.moveToGroupId;
  if (input.accounts && input.accounts.length > 0) {
    additional[k.loginList] = input.accounts.map((a) =>
      kscParams({ [k.loginUser]: a.user, [k.loginPassword]: a.protectedPassword }),
    );
  }
  return deviceTaskData(
    template.taskType ?? REMOTE_INSTALLATION_TASK,
    additional,
    input.target,
    input.displayName,
    template.baseTaskData,
  );
}

export interface RemoteDeinstallInput {
  /** The product to remove, as GetHostProducts / KLPKG_NPI_PRODUCT_NAME names it. */
  productName: string;
  productVersion?: string;
  target: TaskTarget;
  displayName: string;
  reboot?: RebootOptions;
}

export function remoteDeinstallTaskData(
  input: RemoteDeinstallInput,
  template: RemoteInstallTemplate = {},
): Record<string, unknown> {
  const k = { ...DEFAULT_REMOTE_TASK_KEYS, ...template.keys };
  const additional: Record<string, unknown> = {
    [k.uninstallProductName]: input.productName,
    ...rebootParams(input.reboot),
  };
  if (input.productVersion) additional[k.uninstallProductVersion] = input.productVersion;
  return deviceTaskData(
    template.taskType ?? REMOTE_DEINSTALLATION_TASK,
    additional,
    input.target,
    input.displayName,
    template.baseTaskData,
  );
}
