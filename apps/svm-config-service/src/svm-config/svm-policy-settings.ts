import { AppliedSvmConfig, ProtectionOptions } from '@tpo/contracts';

/** Main-server folder the Integration Server creates for Complete tenants (integration-server-api.md §8.2). */
export const MULTITENANCY_FOLDER = 'Multitenancy KSV LA';

/**
 * ASSUMPTION (§8.3 leaves placement to the provider): SVMs and their Protection Server policies
 * live under `Managed devices / TPO SVMs / <profile>` on the main server, outside every vAS, so no
 * tenant admin can reach them. One subgroup per profile, because KSC applies one active policy per
 * product and group.
 */
export const PROVIDER_SVM_FOLDER = 'TPO SVMs';

/** Port Light Agents use to reach the Integration Server (integration-server-api.md §8.4: 7271 default). */
export const INTEGRATION_SERVER_AGENT_PORT = 7271;

/** ASSUMPTION: product id / version the simulator and the PolicyApi use; the vendor publishes neither. */
export const LIGHT_AGENT_POLICY_PRODUCT = { product: 'KSVLA', version: '6.2.0.0' } as const;
export const PROTECTION_SERVER_POLICY_PRODUCT = { product: 'KSVLA_SVM', version: '6.2.0.0' } as const;

/**
 * ASSUMPTION: setting names inside KLPOL_SETTINGS. Kaspersky does not publish the Light Agent /
 * Protection Server policy sections; these names are ours and must be mapped to the real sections
 * against a lab server before production use.
 */
export const LA_SETTINGS = {
  discovery: 'KSVLA_SVM_DISCOVERY_METHOD',
  isAddress: 'KSVLA_IS_ADDRESS',
  isPort: 'KSVLA_IS_PORT',
  tags: 'KSVLA_CONNECTION_TAGS',
  algorithm: 'KSVLA_SVM_SELECTION_ALGORITHM',
  pathScope: 'KSVLA_SVM_PATH_SCOPE',
} as const;
export const PS_SETTINGS = { profile: 'KSVSVM_PROTECTION_PROFILE' } as const;

export interface PolicySpec {
  name: string;
  product: string;
  version: string;
  settings: Record<string, string | number | string[]>;
  /** Settings locked ("padlock") against child policies and tenant admins. */
  locked: string[];
}

export interface SvmConfigPlan {
  applied: AppliedSvmConfig;
  lightAgent: PolicySpec;
  protectionServer: PolicySpec & { folderPath: string[] };
}

/** What steps 2-3 apply for one tenant: the tenant's Light Agent policy and its profile's Protection Server policy. */
export function planSvmConfig(input: { tenantName: string; protection?: ProtectionOptions }, siteIsAddress: string): SvmConfigPlan {
  const p = input.protection ?? {};
  const connectionTags = [...new Set(p.connectionTags ?? [])];
  const svmPathScope = p.svmPathScope ?? 'any';
  const protectionProfile = p.protectionProfile ?? 'standard';
  const integrationServerAddress = p.integrationServerAddress ?? siteIsAddress;
  const lightAgent: PolicySpec = {
    name: `TPO Light Agent - ${input.tenantName}`,
    ...LIGHT_AGENT_POLICY_PRODUCT,
    settings: {
      [LA_SETTINGS.discovery]: 'IntegrationServer',
      [LA_SETTINGS.isAddress]: integrationServerAddress,
      [LA_SETTINGS.isPort]: INTEGRATION_SERVER_AGENT_PORT,
      [LA_SETTINGS.tags]: connectionTags,
      // §8.3: the SVM path only exists in the extended selection algorithm; `any` keeps the standard one.
      [LA_SETTINGS.algorithm]: svmPathScope === 'any' ? 'standard' : 'extended',
      [LA_SETTINGS.pathScope]: svmPathScope,
    },
    locked: Object.values(LA_SETTINGS),
  };
  const protectionServer = {
    name: `TPO Protection Server - ${protectionProfile}`,
    ...PROTECTION_SERVER_POLICY_PRODUCT,
    settings: { [PS_SETTINGS.profile]: protectionProfile },
    locked: Object.values(PS_SETTINGS),
    folderPath: [PROVIDER_SVM_FOLDER, protectionProfile],
  };
  return {
    lightAgent,
    protectionServer,
    applied: {
      lightAgentPolicy: lightAgent.name,
      discovery: 'integration-server',
      integrationServerAddress,
      connectionTags,
      svmPathScope,
      protectionProfile,
      protectionServerPolicy: protectionServer.name,
      locked: true,
    },
  };
}

export interface PolicyPatch {
  settings?: Record<string, unknown>;
  locked?: string[];
  active?: boolean;
}

/**
 * The update that brings an existing policy in line with `spec`, or undefined when it already is.
 * Only our settings are written (other settings a provider admin set stay); locks are added, never
 * removed; an inactive policy is re-activated.
 */
export function policyPatch(current: { settings?: unknown; locked?: unknown; active?: unknown }, spec: PolicySpec): PolicyPatch | undefined {
  const have = isObject(current.settings) ? current.settings : {};
  const locked = Array.isArray(current.locked) ? current.locked.map(String) : [];
  const patch: PolicyPatch = {};
  if (Object.entries(spec.settings).some(([k, v]) => JSON.stringify(have[k]) !== JSON.stringify(v))) patch.settings = { ...spec.settings };
  const missing = spec.locked.filter((k) => !locked.includes(k));
  if (missing.length > 0) patch.locked = [...locked, ...missing];
  if (current.active === false) patch.active = true;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
