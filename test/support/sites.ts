import { RunningSimulator } from '@tpo/kaspersky-simulator';
import { SiteConnection } from '@tpo/site-directory';
import { SIM_IS_PASSWORD, SIM_KSC_ACCOUNT } from './simulator';

/** The connection of simulator site `index` as a SiteConnection (what tenant-service would serve). */
export function siteConnectionOf(sim: RunningSimulator, index = 0, overrides: Partial<SiteConnection> = {}): SiteConnection {
  const e = sim.endpoints[index];
  return {
    id: e.siteId,
    name: `Simulated ${e.siteId}`,
    maxVirtualServers: 500,
    integrationServer: { url: e.integrationServerUrl, username: 'multitenancy', password: SIM_IS_PASSWORD, addressForAgents: '127.0.0.1', tls: sim.tls ? { caPem: sim.tls.certPem } : undefined },
    ksc: { url: e.kscUrl, username: SIM_KSC_ACCOUNT.name, password: SIM_KSC_ACCOUNT.password, publicAddress: '127.0.0.1', tls: sim.tls ? { caPem: sim.tls.certPem } : undefined },
    license: { maxVms: 10_000 },
    ...overrides,
  } as SiteConnection;
}
