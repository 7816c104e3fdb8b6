import { RunningSimulator, SEED_PUSH_INSTALL_ACCOUNT, SiteOptions, startSimulator } from '@tpo/kaspersky-simulator';

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
