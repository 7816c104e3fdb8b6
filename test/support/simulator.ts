import {
  RunningSimulator,
  SEED_PUSH_INSTALL_ACCOUNT,
  Site,
  SiteOptions,
  startSimulator,
} from '@tpo/kaspersky-simulator';

export const SIM_IS_PASSWORD = 'Sim-Multitenancy-Pa55!';
export const SIM_KSC_ACCOUNT = { name: 'svc-onboard', password: 'Sim-Ksc-Pa55!' };
/** The push-install account the simulated VMs accept (the simulator's default). */
export const SIM_PUSH_INSTALL_ACCOUNT = {
  username: SEED_PUSH_INSTALL_ACCOUNT.username,
  password: SEED_PUSH_INSTALL_ACCOUNT.password,
};

/** One or more in-process simulator sites on ephemeral ports (plain HTTP unless `tls` is set). */
export async function startTestSimulator(
  sites: Partial<SiteOptions>[] = [{}],
  options: { tls?: 'self-signed' | 'off'; admin?: boolean } = {},
): Promise<RunningSimulator> {
  return startSimulator({
    sites: sites.map((s, i) => ({
      id: s.id ?? `site-${i + 1}`,
      isPassword: SIM_IS_PASSWORD,
      kscAccount: SIM_KSC_ACCOUNT,
      ...s,
    })),
    integrationServerPortBase: 0,
    kscPortBase: 0,
    adminPort: options.admin ? 0 : undefined,
    tls: options.tls ?? 'off',
  });
}

/**
 * Runs `work` with a latency fault set on an operation that nobody calls: no answer changes, but the
 * site no longer passes requests straight through, so each one goes through the simulator's Express
 * app instead of its short path (is-http.ts, ksc-http.ts). The fault is cleared afterwards.
 */
export async function throughExpressApp<T>(site: Site, uncalledOperation: string, work: () => Promise<T>): Promise<T> {
  site.faults.merge({ latencyMs: { [uncalledOperation]: 1 } });
  try {
    return await work();
  } finally {
    site.faults.merge({ latencyMs: {} });
  }
}
