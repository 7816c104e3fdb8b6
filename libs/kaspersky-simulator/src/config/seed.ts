/**
 * What a simulated site's KSC holds before the platform touches it, the way a provider's admin
 * would have prepared a real one: Network Agent and Light Agent installation packages per OS
 * family, and one Light Agent reference policy per OS family plus Protection Server reference
 * policies, made "in the console".
 *
 * The Light Agent product ids and every policy section / variable name below are the SIMULATOR's
 * stand-ins for values Kaspersky does not publish (ksc-openapi-addendum.md §2.5, §5): the
 * platform never hard-codes them; it reads them from the site's deployment configuration
 * (`SiteDeployment`, captured from a real KSC with `npm run ksc:capture`). `simulatorSiteDeployment()`
 * is what such a capture returns for a simulated site, so tests and the demo configure their
 * sites with it. Only the Network Agent product `1103` is documented (addendum §1.6).
 */

export const SEED_OS_FAMILIES = ['windows', 'linux'] as const;
export type SeedOsFamily = (typeof SEED_OS_FAMILIES)[number];

/** DOCUMENTED: Network Agent product id (KSC13/a00019). */
export const SEED_NETWORK_AGENT_PRODUCT = '1103';
export const SEED_NETWORK_AGENT_VERSION = '1.0.0.0';

/** Simulator stand-ins (ASSUMPTION): Light Agent product ids per OS family as a console-made package reports them. */
export const SEED_LIGHT_AGENT = {
  windows: {
    product: 'KSVLA_WIN',
    version: '6.2.0.0',
    packageName: 'Kaspersky Security for Virtualization Light Agent for Windows (6.2)',
  },
  linux: {
    product: 'KESL',
    version: '12.2.0.0',
    packageName: 'Kaspersky Endpoint Security for Linux (12.2) Light Agent',
  },
} as const;

/** Network Agent packages per OS family; both report product 1103, told apart by package name. */
export const SEED_NETWORK_AGENT_PACKAGES = {
  windows: {
    packageName: 'Kaspersky Security Center Network Agent for Windows (15.1.0)',
    version: '15.1.0.20748',
    nameContains: 'for Windows',
  },
  linux: {
    packageName: 'Kaspersky Security Center Network Agent for Linux (15.1.0)',
    version: '15.1.0.12345',
    nameContains: 'for Linux',
  },
} as const;

/** Simulator stand-ins (ASSUMPTION): Protection Server (SVM) policy product. */
export const SEED_PROTECTION_SERVER = { product: 'KSVLA_SVM', version: '6.2.0.0' } as const;

/** Reference policy ids on the main server (fixed so a seeded site is reproducible). */
export const SEED_REFERENCE_POLICY_IDS = { windows: 901, linux: 902, protectionStandard: 911 } as const;

/** Simulator stand-ins (ASSUMPTION): the Light Agent policy section and variables the reference policies hold. */
export const SEED_LA_SECTION = 'KSVLA_SVM_CONNECTION';
export const SEED_LA_VARIABLES = {
  discoveryMethod: 'SvmDiscoveryMethod',
  discoveryMethodIntegrationServer: 'IntegrationServer',
  integrationServerAddress: 'IntegrationServerAddress',
  integrationServerPort: 'IntegrationServerPort',
  connectionTags: 'ConnectionTags',
  svmPathScope: 'SvmPathScope',
} as const;

/** The deployment configuration a capture of a seeded simulated site yields (shape of `SiteDeployment`). */
interface SeedSettingPath {
  section: string;
  variable: string;
}

/** The plain shape of a site's `SiteDeployment` (the simulator does not import the platform's class). */
export interface SimulatorSiteDeployment {
  osFamilies: {
    osFamily: 'windows' | 'linux';
    networkAgentPackage: { productName: string; productVersion?: string; nameContains?: string };
    lightAgentPackage: { productName: string; productVersion?: string; nameContains?: string };
    lightAgentPolicy: { policyId: number; product: string; version: string };
    lightAgentSettings: {
      discoveryMethod: SeedSettingPath;
      discoveryMethodIntegrationServer: string;
      integrationServerAddress: SeedSettingPath;
      integrationServerPort: SeedSettingPath;
      connectionTags?: SeedSettingPath;
      svmPathScope?: SeedSettingPath;
      [more: string]: unknown;
    };
  }[];
  protectionProfiles?: { id: string; referencePolicy: { policyId: number; product: string; version: string } }[];
  remoteInstall?: {
    rebootMode?: 'never' | 'ask' | 'force';
    askForRebootPeriodMinutes?: number;
    forceRebootPeriodMinutes?: number;
  };
  [more: string]: unknown;
}

export function simulatorSiteDeployment(): SimulatorSiteDeployment {
  const la = (section: string) => ({
    discoveryMethod: { section, variable: SEED_LA_VARIABLES.discoveryMethod },
    discoveryMethodIntegrationServer: SEED_LA_VARIABLES.discoveryMethodIntegrationServer,
    integrationServerAddress: { section, variable: SEED_LA_VARIABLES.integrationServerAddress },
    integrationServerPort: { section, variable: SEED_LA_VARIABLES.integrationServerPort },
    connectionTags: { section, variable: SEED_LA_VARIABLES.connectionTags },
    svmPathScope: { section, variable: SEED_LA_VARIABLES.svmPathScope },
  });
  const family = (osFamily: 'windows' | 'linux') => ({
    osFamily,
    networkAgentPackage: {
      productName: SEED_NETWORK_AGENT_PRODUCT,
      nameContains: SEED_NETWORK_AGENT_PACKAGES[osFamily].nameContains,
    },
    lightAgentPackage: {
      productName: SEED_LIGHT_AGENT[osFamily].product,
      productVersion: SEED_LIGHT_AGENT[osFamily].version,
    },
    lightAgentPolicy: {
      policyId: SEED_REFERENCE_POLICY_IDS[osFamily],
      product: SEED_LIGHT_AGENT[osFamily].product,
      version: SEED_LIGHT_AGENT[osFamily].version,
    },
    lightAgentSettings: la(SEED_LA_SECTION),
  });
  return {
    osFamilies: [family('windows'), family('linux')],
    protectionProfiles: [
      {
        id: 'standard',
        referencePolicy: { policyId: SEED_REFERENCE_POLICY_IDS.protectionStandard, ...SEED_PROTECTION_SERVER },
      },
    ],
    remoteInstall: { rebootMode: 'never' as const },
  };
}

/**
 * The push-install account a simulated site's not-yet-managed VMs accept when a Remote Installation
 * task pushes the Network Agent (simulator-only lab credentials; a real site's account comes from
 * its admin and is registered as the site's sealed `ksc.pushInstall`). Overridable per site
 * (`SiteOptions.pushInstallAccount`, `SIM_PUSH_INSTALL_USER` / `SIM_PUSH_INSTALL_PASSWORD`).
 */
export const SEED_PUSH_INSTALL_ACCOUNT = {
  username: 'TPO-LAB\\push-install',
  password: 'Sim-Push-Install-Pa55!',
} as const;

/**
 * Main-server folder (under Managed devices) where the seeded reference policies live: a provider
 * folder no tenant reaches. Simulator choice; a real site's admin puts them wherever they like.
 */
export const SEED_REFERENCE_POLICY_FOLDER = 'TPO Reference Policies';

/**
 * What the admin typed into the seeded reference policies "in the console" (simulator stand-ins,
 * ASSUMPTION): the captured Light Agent variables hold plausible console values, unlocked; other
 * sections stand for the rest of a real policy, cloned untouched per tenant.
 */
export const SEED_LA_REFERENCE_VALUES = {
  [SEED_LA_VARIABLES.discoveryMethod]: SEED_LA_VARIABLES.discoveryMethodIntegrationServer,
  [SEED_LA_VARIABLES.integrationServerAddress]: '192.0.2.1',
  [SEED_LA_VARIABLES.integrationServerPort]: 7271,
  [SEED_LA_VARIABLES.connectionTags]: [] as string[],
  [SEED_LA_VARIABLES.svmPathScope]: 'any',
  SvmSelectionAlgorithm: 'standard',
  ConnectionProtection: true,
} as const;
export const SEED_LA_OTHER_SECTION = 'KSVLA_GENERAL';
export const SEED_LA_OTHER_VALUES = {
  ShowTrayIcon: { value: true, locked: false },
  EventRetentionDays: { value: 30, locked: true },
} as const;
export const SEED_PS_SECTION = 'KSVSVM_PROTECTION';
export const SEED_PS_VALUES = {
  ScanArchives: { value: false, locked: true },
  HeuristicLevel: { value: 'medium', locked: false },
} as const;

/**
 * The licence key a seeded site's main server holds (key storage, ksc-openapi-addendum.md §3.1/§3.2):
 * a commercial key for the protection product, valid for a year from the simulator's start. The
 * serial and product name are simulator stand-ins; the attribute names are DOCUMENTED (KSC13/a00115).
 */
export const SEED_LICENSE_KEY = {
  serial: 'SIM0-000001-00000001',
  productName: 'Kaspersky Security for Virtualization Light Agent',
  appId: 2750,
  keyType: 1,
  licCount: 500,
  validDays: 365,
} as const;
