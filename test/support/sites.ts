import { RunningSimulator, simulatorSiteDeployment } from '@tpo/kaspersky-simulator';
import { DEFAULT_INTEGRATION_SERVER_AGENT_PORT, parseSiteConnection, SiteConnection } from '@tpo/site-directory';
import { SIM_IS_PASSWORD, SIM_KSC_ACCOUNT, SIM_PUSH_INSTALL_ACCOUNT } from './simulator';

/** The connection of simulator site `index` as a SiteConnection (what tenant-service would serve). */
export function siteConnectionOf(
  sim: RunningSimulator,
  index = 0,
  overrides: Partial<SiteConnection> = {},
): SiteConnection {
  const e = sim.endpoints[index];
  return {
    id: e.siteId,
    name: `Simulated ${e.siteId}`,
    maxVirtualServers: 500,
    integrationServer: {
      url: e.integrationServerUrl,
      username: 'multitenancy',
      password: SIM_IS_PASSWORD,
      addressForAgents: '127.0.0.1',
      agentPort: DEFAULT_INTEGRATION_SERVER_AGENT_PORT,
      tls: sim.tls ? { caPem: sim.tls.certPem } : undefined,
    },
    ksc: {
      url: e.kscUrl,
      username: SIM_KSC_ACCOUNT.name,
      password: SIM_KSC_ACCOUNT.password,
      publicAddress: '127.0.0.1',
      pushInstall: { ...SIM_PUSH_INSTALL_ACCOUNT },
      tls: sim.tls ? { caPem: sim.tls.certPem } : undefined,
    },
    license: { maxVms: 10_000 },
    // What a capture of a seeded simulated site yields (packages, reference policies, setting names).
    deployment: simulatorSiteDeployment(),
    ...overrides,
  } as SiteConnection;
}

/**
 * The same connection as validated class instances (nested `SiteDeployment` etc.), as a step
 * service gets it from the site directory.
 */
export function parsedSiteConnectionOf(
  sim: RunningSimulator,
  index = 0,
  overrides: Partial<SiteConnection> = {},
): SiteConnection {
  return parseSiteConnection(JSON.parse(JSON.stringify(siteConnectionOf(sim, index, overrides))));
}
