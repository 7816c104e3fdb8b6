import { KscModel, MAIN_SERVER } from '../ksc/ksc-model';
import { SEED_LIGHT_AGENT, SEED_NETWORK_AGENT_PACKAGES, SEED_NETWORK_AGENT_PRODUCT, SEED_PROTECTION_SERVER, SEED_REFERENCE_POLICY_IDS } from './seed';

/**
 * Makes sure a simulated main server holds what `simulatorSiteDeployment()` names, the way a
 * provider's admin prepares a real KSC once in the console: per OS family a Network Agent and a
 * Light Agent installation package, and the reference policies (Light Agent per OS family,
 * Protection Server profile "standard"). Adds only what is missing (packages by product and the
 * selector's name fragment, policies by id), so a model that seeds them itself keeps its own.
 */
export function ensureSeededDeployment(ksc: KscModel): void {
  const packages = () => ksc.packagesOf(MAIN_SERVER);
  for (const f of ['windows', 'linux'] as const) {
    const na = SEED_NETWORK_AGENT_PACKAGES[f];
    if (!packages().some((p) => p.productName === SEED_NETWORK_AGENT_PRODUCT && p.name.toLowerCase().includes(na.nameContains.toLowerCase()))) {
      ksc.addPackage(MAIN_SERVER, na.packageName, SEED_NETWORK_AGENT_PRODUCT, na.version);
    }
    const la = SEED_LIGHT_AGENT[f];
    // Named by product only: a model that seeds its own (named) packages first keeps them.
    if (!packages().some((p) => p.productName === la.product && p.productVersion === la.version)) {
      ksc.addPackage(MAIN_SERVER, `${la.product} ${la.version} installation package`, la.product, la.version);
    }
  }
  const policy = (id: number, name: string, product: string, version: string) => {
    if (ksc.policies.has(id)) return;
    ksc.policies.set(id, { id, vsId: MAIN_SERVER, groupId: 0, name, productName: product, productVersion: version, active: false, locked: [], settings: {} });
  };
  policy(SEED_REFERENCE_POLICY_IDS.windows, 'Reference - Light Agent for Windows', SEED_LIGHT_AGENT.windows.product, SEED_LIGHT_AGENT.windows.version);
  policy(SEED_REFERENCE_POLICY_IDS.linux, 'Reference - Light Agent for Linux', SEED_LIGHT_AGENT.linux.product, SEED_LIGHT_AGENT.linux.version);
  policy(SEED_REFERENCE_POLICY_IDS.protectionStandard, 'Reference - Protection Server standard', SEED_PROTECTION_SERVER.product, SEED_PROTECTION_SERVER.version);
}
