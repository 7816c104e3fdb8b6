import { SimulatorAssumptions } from '../config/assumptions';
import { FaultController } from '../faults/faults';
import { Host, KscModel, KscModelError, NETWORK_AGENT_PRODUCT } from './ksc-model';
import { KscIn } from './ksc-codec';
import { KscPasswordVault } from './ksc-password-vault';
import { KscWireError } from './ksc-wire-error';

export const RECONNECTION_TASK = 'KLNAG_TASK_RECONNECTION';
export const REMOTE_INSTALLATION_TASK = 'Remote Installation';
export const REMOTE_DEINSTALLATION_TASK = 'Remote Deinstallation';

/**
 * Task types this simulated server knows, with the product that executes them. Remote
 * Installation / Deinstallation: 1093 / 1.0.0.0 / 87, DOCUMENTED (ksc-openapi-addendum.md §1.1).
 * Network Agent tasks: 1103 / 1.0.0.0 / 86 from the official "show message" sample (ksc-openapi.md
 * §3.3, ASSUMPTION for the reconnection task). Anything else is refused as a real server refuses
 * a task type no installed plug-in provides.
 */
export const TASK_TYPES: Record<string, { product: string; version: string; component: string }> = {
  [REMOTE_INSTALLATION_TASK]: { product: '1093', version: '1.0.0.0', component: '87' },
  [REMOTE_DEINSTALLATION_TASK]: { product: '1093', version: '1.0.0.0', component: '87' },
  [RECONNECTION_TASK]: { product: NETWORK_AGENT_PRODUCT, version: '1.0.0.0', component: '86' },
  KLNAG_TASK_SHOW_MSG: { product: NETWORK_AGENT_PRODUCT, version: '1.0.0.0', component: '86' },
};

export type TaskData = Record<string, KscIn>;
export type HostTaskState = 1 | 2 | 4 | 8 | 16;
export interface HostOutcome {
  state: 4 | 8 | 16;
  descr: string;
}

/**
 * RIFailReason texts of the remote-installation task (ASSUMPTION: an old public Kaspersky header,
 * ksc-openapi-addendum.md §1.2); state_descr carries them.
 */
export const RI_TEXT = {
  noPackage: 'The package is absent on the Administration server.',
  unreachable: 'Host seems to be offline or hidden by firewall.',
  accessDenied:
    'Access denied. The specified account has no permissions for the operation, or invalid account password specified.',
  noNetworkAgent: "Can't upload the package using Network agent since it is not installed yet.",
  wrongOs: 'Operating system on the target computer is not supported by the product to be installed.',
  alreadyInstalled: 'The application is already installed on the device.',
  rebootRequired: 'Installation completed. The operating system must be restarted to complete the installation.',
  installed: 'Installation completed.',
} as const;

/** Refuses unknown TASK_NAMEs and a wrong product / version / component for a known one. */
export function checkTaskType(data: TaskData): void {
  const name = String(data.TASK_NAME ?? '');
  const type = TASK_TYPES[name];
  if (!type) throw new KscWireError('STDE_BADPARAM', `unknown task type "${name}"`);
  const given = {
    product: data.TASKID_PRODUCT_NAME,
    version: data.TASKID_VERSION,
    component: data.TASKID_COMPONENT_NAME,
  };
  if (
    String(given.product) !== type.product ||
    String(given.version ?? '') !== type.version ||
    (given.component !== undefined && String(given.component) !== type.component)
  ) {
    throw new KscWireError(
      'STDE_BADPARAM',
      `task type "${name}" belongs to ${type.product} / ${type.version} / ${type.component}`,
    );
  }
}

function container(p: KscIn | undefined): Record<string, KscIn> {
  return p && typeof p === 'object' && !Array.isArray(p) && !(p instanceof Date) && !Buffer.isBuffer(p) ? p : {};
}

export function additionalParams(data: TaskData): Record<string, KscIn> {
  return container(data.TASK_ADDITIONAL_PARAMS);
}

export function infoParams(data: TaskData): Record<string, KscIn> {
  return container(data.TASK_INFO_PARAMS);
}

export function hasNetworkAgent(h: Host): boolean {
  return h.nagentVersion !== undefined || h.products.includes(NETWORK_AGENT_PRODUCT);
}

/**
 * ASSUMPTION (ksc-openapi.md §8.2 "agent offline"): a Network Agent task (product 1103) never
 * reaches a device without a Network Agent, which therefore stays in state 1.
 */
export function needsNetworkAgent(data: TaskData): boolean {
  return String(data.TASKID_PRODUCT_NAME ?? '') === NETWORK_AGENT_PRODUCT;
}

export interface EffectContext {
  ksc: KscModel;
  assumptions: SimulatorAssumptions;
  faults: FaultController;
  vault: KscPasswordVault;
  /** Whether the site's machines let this push account in (Site.acceptsPushInstall). */
  acceptsPush: (user: string, password: string) => boolean;
}

/** The effect of a finished task on one device, and what its host-status record says. */
export function applyTaskEffect(c: EffectContext, vsId: number, data: TaskData, host: Host): HostOutcome {
  const name = String(data.TASK_NAME ?? '');
  try {
    if (name === RECONNECTION_TASK) return reconnect(c.ksc, data, host);
    if (name === REMOTE_INSTALLATION_TASK) return remoteInstall(c, vsId, data, host);
    if (name === REMOTE_DEINSTALLATION_TASK) return remoteDeinstall(c, data, host);
    return { state: 4, descr: 'Task completed' };
  } catch (e) {
    if (e instanceof KscModelError) return { state: 16, descr: e.message };
    throw e;
  }
}

/** ksc-openapi.md §3.3: the agent restarts connected to the named vAS; "" returns it to the physical server (addendum §4.2). */
function reconnect(ksc: KscModel, data: TaskData, host: Host): HostOutcome {
  const vsName = String(additionalParams(data).KLNAG_VS_NAME ?? '');
  if (vsName === '') ksc.reconnectHostToMainServer(host);
  else ksc.reconnectHostToVServer(host, vsName);
  return { state: 4, descr: 'Task completed' };
}

/** The accounts of the task that this server protected (Tasks.ProtectPassword); undefined when one is not. */
function accountsOf(c: EffectContext, data: TaskData): { user: string; password: string }[] | undefined {
  const a = c.assumptions;
  const list = additionalParams(data)[a.kscRemoteInstallLoginListKey];
  const out: { user: string; password: string }[] = [];
  for (const entry of Array.isArray(list) ? list : []) {
    const e = container(entry);
    const blob = e[a.kscRemoteInstallLoginPasswordKey];
    const password = Buffer.isBuffer(blob) ? c.vault.unprotect(blob) : undefined;
    if (password === undefined) return undefined;
    out.push({ user: String(e[a.kscRemoteInstallLoginUserKey] ?? ''), password });
  }
  return out;
}

/**
 * Remote Installation on one device. With a Network Agent the package goes through it; without,
 * the server pushes to the device's address with the task's accounts (passwords protected by this
 * server). Faults per device: unreachable, access-denied, reboot-required. A package for another
 * OS family fails the device; products already there are skipped; a Network Agent install makes
 * the device managed, in KLTSK_RI_GROUP_TO_MOVE_HOST when given.
 */
function remoteInstall(c: EffectContext, vsId: number, data: TaskData, host: Host): HostOutcome {
  const a = c.assumptions;
  const params = additionalParams(data);
  const raw = params[a.kscRemoteInstallPackagesKey];
  const ids = (Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]).map(Number);
  const packages = ids.map((id) => c.ksc.packages.get(id));
  if (ids.length === 0 || packages.some((p) => !p || p.vsId !== vsId)) return { state: 16, descr: RI_TEXT.noPackage };
  const fault = c.faults.hostFault(host.ip, host.dn, host.biosId, host.hostName);
  if (fault === 'unreachable') return { state: 16, descr: RI_TEXT.unreachable };
  if (!hasNetworkAgent(host)) {
    // A push reaches the machine at the record's address, if there is one on the network.
    if (!host.ip || !c.ksc.network.has(host.ip)) return { state: 16, descr: RI_TEXT.unreachable };
    const accounts = accountsOf(c, data);
    if (accounts === undefined) return { state: 16, descr: RI_TEXT.accessDenied };
    if (accounts.length === 0) return { state: 16, descr: RI_TEXT.noNetworkAgent };
    if (fault === 'access-denied' || !accounts.some((x) => c.acceptsPush(x.user, x.password)))
      return { state: 16, descr: RI_TEXT.accessDenied };
  }
  if (packages.some((p) => p!.osFamily && host.osFamily && p!.osFamily !== host.osFamily))
    return { state: 16, descr: RI_TEXT.wrongOs };
  const skip = params.KLTSK_RI_SKIP_PRESENT_PRODS !== false;
  const missing = packages.filter((p) => !skip || !host.products.includes(p!.productName));
  if (missing.length === 0) return { state: 4, descr: RI_TEXT.alreadyInstalled };
  for (const p of missing) {
    if (!host.products.includes(p!.productName)) host.products.push(p!.productName);
    host.installs = [...(host.installs ?? []), p!.productName];
    if (p!.productName === NETWORK_AGENT_PRODUCT) host.nagentVersion = p!.productVersion;
  }
  const target = params[a.kscRemoteInstallMoveGroupKey];
  if (typeof target === 'number' && missing.some((p) => p!.productName === NETWORK_AGENT_PRODUCT)) {
    const g = c.ksc.groups.get(target);
    if (!g || g.vsId !== vsId)
      return { state: 8, descr: `${RI_TEXT.installed} The group ${target} to move the device to does not exist.` };
    host.groupId = target;
  }
  if (fault === 'reboot-required') {
    if (
      params.KLTSK_RU_REBOOT_IMMEDIATELY === true ||
      (typeof params.KLTSK_RU_REBOOT_FORCE_REBOOT_PERIOD === 'number' && params.KLTSK_RU_REBOOT_ASK_FOR_REBOOT !== true)
    ) {
      host.reboots = (host.reboots ?? 0) + 1;
      return { state: 4, descr: `${RI_TEXT.installed} The device was restarted.` };
    }
    return { state: 8, descr: RI_TEXT.rebootRequired };
  }
  return { state: 4, descr: RI_TEXT.installed };
}

/** Remote Deinstallation of the product the task names (ASSUMPTION: key kscRemoteDeinstallProductKey); needs a Network Agent. */
function remoteDeinstall(c: EffectContext, data: TaskData, host: Host): HostOutcome {
  if (!hasNetworkAgent(host)) return { state: 16, descr: RI_TEXT.noNetworkAgent };
  if (c.faults.hostFault(host.ip, host.dn, host.biosId, host.hostName) === 'unreachable')
    return { state: 16, descr: RI_TEXT.unreachable };
  const product = String(additionalParams(data)[c.assumptions.kscRemoteDeinstallProductKey] ?? '');
  if (product === '') return { state: 16, descr: 'No product to uninstall is specified.' };
  if (!host.products.includes(product)) return { state: 4, descr: 'The application is not installed on the device.' };
  host.products = host.products.filter((p) => p !== product);
  if (product === NETWORK_AGENT_PRODUCT) host.nagentVersion = undefined;
  return { state: 4, descr: 'Uninstallation completed.' };
}
