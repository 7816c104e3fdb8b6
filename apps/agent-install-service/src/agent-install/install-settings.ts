import { RemoteInstallTemplate } from '@tpo/ksc-client';
import { AgentInstallServiceEnv } from '../config/agent-install-service.env';

/** Tuning of the install step, read from the service environment. */
export interface InstallSettings {
  taskDeadlineMs: number;
  pollMaxIntervalMs: number;
  arrivalDeadlineMs: number;
  reconnectionTimeoutMs: number;
  packageDeadlineMs: number;
  networkAgentPackage: string;
  lightAgentPackage: string;
  remoteInstall: RemoteInstallTemplate;
}

/**
 * Settings from the validated environment. A variable the config object lacks (the test harness
 * validates only the base variables) falls back to the schema's documented default.
 */
export function installSettingsFrom(config: Partial<AgentInstallServiceEnv>): InstallSettings {
  const c = { ...new AgentInstallServiceEnv(), ...stripUndefined(config) };
  return {
    taskDeadlineMs: c.KSC_TASK_DEADLINE_MS,
    pollMaxIntervalMs: c.KSC_TASK_POLL_INTERVAL_MS,
    arrivalDeadlineMs: c.KSC_VAS_ARRIVAL_DEADLINE_MS,
    reconnectionTimeoutMs: c.KSC_RECONNECTION_TIMEOUT_MS,
    packageDeadlineMs: c.KSC_PACKAGE_DEADLINE_MS,
    networkAgentPackage: c.NETWORK_AGENT_PACKAGE_NAME,
    lightAgentPackage: c.LIGHT_AGENT_PACKAGE_NAME,
    // The documented `Remote Installation` task (1093 / 1.0.0.0 / 87) with the default key names.
    remoteInstall: {},
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
