import { SimulatorAssumptions } from '../config/assumptions';
import { Host, KscModel, KscModelError, NETWORK_AGENT_PRODUCT } from './ksc-model';
import { KscIn } from './ksc-codec';

export const RECONNECTION_TASK = 'KLNAG_TASK_RECONNECTION';

export type TaskData = Record<string, KscIn>;

export function additionalParams(data: TaskData): Record<string, KscIn> {
  const p = data.TASK_ADDITIONAL_PARAMS;
  return p && typeof p === 'object' && !Array.isArray(p) && !(p instanceof Date) && !Buffer.isBuffer(p) ? p : {};
}

export function infoParams(data: TaskData): Record<string, KscIn> {
  const p = data.TASK_INFO_PARAMS;
  return p && typeof p === 'object' && !Array.isArray(p) && !(p instanceof Date) && !Buffer.isBuffer(p) ? p : {};
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

/** The effect of a finished task on one device; returns an error text when it fails there. */
export function applyTaskEffect(ksc: KscModel, a: SimulatorAssumptions, vsId: number, data: TaskData, host: Host): string | undefined {
  const name = String(data.TASK_NAME ?? '');
  try {
    if (name === RECONNECTION_TASK) return reconnect(ksc, data, host);
    if (name === a.kscRemoteInstallTaskName) return remoteInstall(ksc, a, vsId, data, host);
    return undefined; // other task types complete without a modelled effect
  } catch (e) {
    if (e instanceof KscModelError) return e.message;
    throw e;
  }
}

/** ksc-openapi.md §3.3: the agent restarts connected to the named vAS of the same server. */
function reconnect(ksc: KscModel, data: TaskData, host: Host): string | undefined {
  const vsName = String(additionalParams(data).KLNAG_VS_NAME ?? '');
  // ASSUMPTION (ksc-openapi.md §3.3): switching to another physical server (empty KLNAG_VS_NAME)
  // takes the device out of this simulated KSC; it is reported as a failure rather than modelled.
  if (vsName === '') return 'Switching to another physical Administration Server is not simulated';
  ksc.reconnectHostToVServer(host, vsName);
  return undefined;
}

/**
 * ASSUMPTION (ksc-openapi.md §3.7 / Q4): the remote-install task is recognised by TASK_NAME ==
 * kscRemoteInstallTaskName and lists package ids under kscRemoteInstallPackagesKey; each package
 * must exist on the task's server ("missing package on vAS" fails the device).
 */
function remoteInstall(ksc: KscModel, a: SimulatorAssumptions, vsId: number, data: TaskData, host: Host): string | undefined {
  const raw = additionalParams(data)[a.kscRemoteInstallPackagesKey];
  const ids = (Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]).map(Number);
  if (ids.length === 0) return `no installation packages in ${a.kscRemoteInstallPackagesKey}`;
  const packages = ids.map((id) => ksc.packages.get(id));
  const missing = ids.filter((_id, i) => !packages[i] || packages[i]!.vsId !== vsId);
  if (missing.length > 0) return `installation package(s) ${missing.join(', ')} not found on this Administration Server`;
  for (const p of packages) {
    if (!host.products.includes(p!.productName)) host.products.push(p!.productName);
    if (p!.productName === NETWORK_AGENT_PRODUCT) host.nagentVersion = p!.productVersion;
  }
  return undefined;
}
