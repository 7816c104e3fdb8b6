import { AppliedSvmConfig, ProtectionOptions, VmSpec } from '@tpo/contracts';
import {
  DEFAULT_INTEGRATION_SERVER_AGENT_PORT,
  DeploymentOsFamily,
  ReferencePolicy,
  SettingPath,
  SiteDeployment,
} from '@tpo/site-directory';

/** Main-server folder the Integration Server creates for Complete tenants (integration-server-api.md §8.2, DOCUMENTED). */
export const MULTITENANCY_FOLDER = 'Multitenancy KSV LA';

/**
 * ASSUMPTION (§8.3 leaves placement to the provider): SVMs and their Protection Server policies
 * live under `Managed devices / TPO SVMs / <profile>` on the main server, outside every vAS, so no
 * tenant admin can reach them. One subgroup per profile, because KSC applies one active policy per
 * product and group.
 */
export const PROVIDER_SVM_FOLDER = 'TPO SVMs';

/** One captured variable the platform overrides in a tenant's clone, always locked (KLPRSS_Mnd true). */
export interface SettingOverride {
  path: SettingPath;
  value: string | number | string[];
}

export interface ClonePlan {
  /** The reference policy the site's admin made in the console (expected product/version). */
  reference: ReferencePolicy;
  /** KLPOL_DN of the tenant's clone: looked up by it (and the product) before copying. */
  name: string;
  overrides: SettingOverride[];
}

export interface SvmConfigPlan {
  applied: AppliedSvmConfig;
  lightAgents: (ClonePlan & { osFamily: DeploymentOsFamily })[];
  protectionServer: ClonePlan & { folderPath: string[] };
}

/** A refusal decided from the order and the site configuration alone: nothing on the KSC was touched. */
export interface PlanError {
  code: string;
  message: string;
}

const FAMILY_LABEL: Record<DeploymentOsFamily, string> = { windows: 'Windows', linux: 'Linux' };

export function lightAgentPolicyName(osFamily: DeploymentOsFamily, tenantName: string): string {
  return `TPO Light Agent ${FAMILY_LABEL[osFamily]} - ${tenantName}`;
}

export function protectionServerPolicyName(profile: string): string {
  return `TPO Protection Server - ${profile}`;
}

/**
 * What steps 3-4 apply for one tenant, from the order and the site's deployment configuration:
 * per OS family the site configures (an order VM of another family is refused), a clone of the site's reference Light Agent policy with the SVM-connection variables
 * overridden and locked; and the order's protection profile's reference Protection Server policy
 * cloned into the provider SVM folder. Every setting name comes from the site configuration
 * (captured with `npm run ksc:capture`), none from code.
 */
export function planSvmConfig(
  input: { tenantName: string; protection?: ProtectionOptions; vms: Pick<VmSpec, 'osFamily'>[] },
  site: { deployment?: SiteDeployment; integrationServer: { addressForAgents: string; agentPort?: number } },
): { plan: SvmConfigPlan } | { error: PlanError } {
  const deployment = site.deployment;
  if (!deployment)
    return {
      error: {
        code: 'DEPLOYMENT_NOT_CONFIGURED',
        message:
          'the site has no deployment configuration (reference policies and captured settings); register it from `npm run ksc:capture`',
      },
    };
  const p = input.protection ?? {};
  const connectionTags = [...new Set(p.connectionTags ?? [])];
  const svmPathScope = p.svmPathScope ?? 'any';
  const protectionProfile = p.protectionProfile ?? 'standard';
  const integrationServerAddress = p.integrationServerAddress ?? site.integrationServer.addressForAgents;
  const integrationServerPort = site.integrationServer.agentPort ?? DEFAULT_INTEGRATION_SERVER_AGENT_PORT;

  for (const family of new Set(input.vms.map((v) => v.osFamily))) {
    if (!deployment.osFamilies.some((o) => o.osFamily === family)) {
      return {
        error: {
          code: 'OS_FAMILY_NOT_CONFIGURED',
          message: `the site's deployment configures no Light Agent reference policy for OS family "${family}"`,
        },
      };
    }
  }
  // Every configured family, not only those among the order's VMs: VMs added later (add-vms) reuse
  // this step's result, so a tenant must already have the policy for any family the site serves.
  const lightAgents: SvmConfigPlan['lightAgents'] = [];
  for (const d of [...deployment.osFamilies].sort((a, b) => a.osFamily.localeCompare(b.osFamily))) {
    const family = d.osFamily;
    const s = d.lightAgentSettings;
    const overrides: SettingOverride[] = [
      { path: s.discoveryMethod, value: s.discoveryMethodIntegrationServer },
      { path: s.integrationServerAddress, value: integrationServerAddress },
      { path: s.integrationServerPort, value: integrationServerPort },
    ];
    if (s.connectionTags) overrides.push({ path: s.connectionTags, value: connectionTags });
    else if (connectionTags.length > 0) {
      return {
        error: {
          code: 'SETTING_NOT_CONFIGURED',
          message: `the order asks for connection tags but the site's ${family} Light Agent settings name no connection-tags variable`,
        },
      };
    }
    // The captured console value for the order's scope; without one, the order's value as is (ASSUMPTION until captured).
    if (s.svmPathScope)
      overrides.push({ path: s.svmPathScope, value: s.svmPathScopeValues?.[svmPathScope] ?? svmPathScope });
    else if (svmPathScope !== 'any') {
      return {
        error: {
          code: 'SETTING_NOT_CONFIGURED',
          message: `the order asks for SVM path scope "${svmPathScope}" but the site's ${family} Light Agent settings name no SVM-path variable`,
        },
      };
    }
    lightAgents.push({
      osFamily: family,
      reference: d.lightAgentPolicy,
      name: lightAgentPolicyName(family, input.tenantName),
      overrides,
    });
  }

  const profile = deployment.protectionProfiles?.find((x) => x.id === protectionProfile);
  if (!profile)
    return {
      error: {
        code: 'PROTECTION_PROFILE_NOT_CONFIGURED',
        message: `the site configures no Protection Server reference policy for profile "${protectionProfile}"`,
      },
    };
  const protectionServer = {
    reference: profile.referencePolicy,
    name: protectionServerPolicyName(protectionProfile),
    overrides: [],
    folderPath: [PROVIDER_SVM_FOLDER, protectionProfile],
  };

  return {
    plan: {
      lightAgents,
      protectionServer,
      applied: {
        lightAgentPolicy: lightAgents.map((l) => l.name).join(', '),
        lightAgentPolicies: lightAgents.map((l) => ({ osFamily: l.osFamily, name: l.name })),
        discovery: 'integration-server',
        integrationServerAddress,
        integrationServerPort,
        connectionTags,
        svmPathScope,
        protectionProfile,
        protectionServerPolicy: protectionServer.name,
        locked: true,
      },
    },
  };
}

/** The overrides grouped by section (one Ss_Read / Ss_Replace per section). */
export function overridesBySection(overrides: SettingOverride[]): Map<string, SettingOverride[]> {
  const out = new Map<string, SettingOverride[]>();
  for (const o of overrides) out.set(o.path.section, [...(out.get(o.path.section) ?? []), o]);
  return out;
}
