import 'reflect-metadata';
import { SiteDeployment } from '@tpo/site-directory';
import {
  lightAgentPolicyName,
  overridesBySection,
  planSvmConfig,
  PROVIDER_SVM_FOLDER,
  SvmConfigPlan,
} from './svm-policy-settings';

/** A captured deployment (names are a capture's, never the service's). */
function family(osFamily: 'windows' | 'linux', policyId: number) {
  const at = (variable: string) => ({ section: 'CAPTURED_SECTION', variable });
  return {
    osFamily,
    networkAgentPackage: { productName: '1103', nameContains: osFamily },
    lightAgentPackage: { productName: `LA_${osFamily}`, productVersion: '1.0.0.0' },
    lightAgentPolicy: { policyId, product: `LA_${osFamily}`, version: '1.0.0.0' },
    lightAgentSettings: {
      discoveryMethod: at('Discovery'),
      discoveryMethodIntegrationServer: 'ViaIS',
      integrationServerAddress: at('IsAddress'),
      integrationServerPort: at('IsPort'),
      connectionTags: at('Tags'),
      svmPathScope: at('PathScope'),
    },
  };
}
const deployment = {
  osFamilies: [family('windows', 901), family('linux', 902)],
  protectionProfiles: [{ id: 'standard', referencePolicy: { policyId: 911, product: 'PS', version: '1.0.0.0' } }],
} as SiteDeployment;
const site = { deployment, integrationServer: { addressForAgents: '10.0.0.5', agentPort: 7300 } };
const linux = [{ osFamily: 'linux' as const }];

function plan(
  input: Parameters<typeof planSvmConfig>[0],
  s: Parameters<typeof planSvmConfig>[1] = site,
): SvmConfigPlan {
  const r = planSvmConfig(input, s);
  if ('error' in r) throw new Error(r.error.message);
  return r.plan;
}

describe('planSvmConfig', () => {
  it('clones the OS family reference policy with the captured variables overridden: IS address and port from the site', () => {
    const p = plan({ tenantName: 'Acme Corp', vms: linux });
    expect(p.lightAgents.map((l) => l.osFamily)).toEqual(['linux', 'windows']);
    const la = deployment.osFamilies.find((o) => o.osFamily === 'linux')!;
    expect(p.lightAgents[0]).toMatchObject({
      osFamily: 'linux',
      reference: la.lightAgentPolicy,
      name: 'TPO Light Agent Linux - Acme Corp',
    });
    const values = Object.fromEntries(p.lightAgents[0].overrides.map((o) => [o.path.variable, o.value]));
    const s = la.lightAgentSettings;
    expect(values).toEqual({
      [s.discoveryMethod.variable]: s.discoveryMethodIntegrationServer,
      [s.integrationServerAddress.variable]: '10.0.0.5',
      [s.integrationServerPort.variable]: 7300,
      [s.connectionTags!.variable]: [],
      [s.svmPathScope!.variable]: 'any',
    });
    expect(p.applied).toEqual({
      lightAgentPolicy: 'TPO Light Agent Linux - Acme Corp, TPO Light Agent Windows - Acme Corp',
      lightAgentPolicies: [
        { osFamily: 'linux', name: 'TPO Light Agent Linux - Acme Corp' },
        { osFamily: 'windows', name: 'TPO Light Agent Windows - Acme Corp' },
      ],
      discovery: 'integration-server',
      integrationServerAddress: '10.0.0.5',
      integrationServerPort: 7300,
      connectionTags: [],
      svmPathScope: 'any',
      protectionProfile: 'standard',
      protectionServerPolicy: 'TPO Protection Server - standard',
      locked: true,
    });
    expect(p.protectionServer).toMatchObject({
      folderPath: [PROVIDER_SVM_FOLDER, 'standard'],
      overrides: [],
      reference: deployment.protectionProfiles![0].referencePolicy,
    });
  });

  it('one policy per configured OS family whatever the VMs (VMs added later reuse this step); port defaults to 7271', () => {
    const both = plan({
      tenantName: 'acme',
      vms: [{ osFamily: 'windows' }, { osFamily: 'linux' }, { osFamily: 'linux' }],
    });
    expect(both.lightAgents.map((l) => l.osFamily)).toEqual(['linux', 'windows']);
    expect(both.applied.lightAgentPolicy).toBe(
      `${lightAgentPolicyName('linux', 'acme')}, ${lightAgentPolicyName('windows', 'acme')}`,
    );
    const none = plan(
      { tenantName: 'acme', vms: [] },
      { deployment, integrationServer: { addressForAgents: '10.0.0.5' } },
    );
    expect(none.lightAgents).toHaveLength(2);
    expect(none.applied.integrationServerPort).toBe(7271);
    const winOnly = {
      ...deployment,
      osFamilies: deployment.osFamilies.filter((o) => o.osFamily === 'windows'),
    } as SiteDeployment;
    expect(
      plan({ tenantName: 'acme', vms: [{ osFamily: 'windows' }] }, { ...site, deployment: winOnly }).lightAgents.map(
        (l) => l.osFamily,
      ),
    ).toEqual(['windows']);
  });

  it('the order IS address, tags and SVM path win over the defaults; overrides are grouped by section', () => {
    const p = plan({
      tenantName: 'acme',
      vms: linux,
      protection: {
        integrationServerAddress: '192.0.2.10',
        connectionTags: ['a', 'a', 'b'],
        svmPathScope: 'same-cluster',
      },
    });
    expect(p.applied).toMatchObject({
      integrationServerAddress: '192.0.2.10',
      connectionTags: ['a', 'b'],
      svmPathScope: 'same-cluster',
    });
    expect([...overridesBySection(p.lightAgents[0].overrides).keys()]).toHaveLength(1);
    expect(p.lightAgents[0].osFamily).toBe('linux');
    expect(p.lightAgents[0].overrides.find((o) => o.path.variable === 'PathScope')?.value).toBe('same-cluster');
    const captured = structuredClone(deployment);
    captured.osFamilies[1].lightAgentSettings.svmPathScopeValues = { 'same-cluster': '2' };
    const q = plan(
      { tenantName: 'acme', vms: linux, protection: { svmPathScope: 'same-cluster' } },
      { ...site, deployment: captured },
    );
    expect(q.lightAgents[0].overrides.find((o) => o.path.variable === 'PathScope')?.value).toBe('2');
    expect(q.applied.svmPathScope).toBe('same-cluster');
  });

  it('refuses, before any call, what the site configuration cannot serve', () => {
    const err = (input: Parameters<typeof planSvmConfig>[0], s: Parameters<typeof planSvmConfig>[1] = site) => {
      const r = planSvmConfig(input, s);
      return 'error' in r ? r.error.code : 'ok';
    };
    expect(err({ tenantName: 'a', vms: linux }, { integrationServer: site.integrationServer })).toBe(
      'DEPLOYMENT_NOT_CONFIGURED',
    );
    const winOnly = {
      ...deployment,
      osFamilies: deployment.osFamilies.filter((o) => o.osFamily === 'windows'),
    } as SiteDeployment;
    expect(err({ tenantName: 'a', vms: linux }, { ...site, deployment: winOnly })).toBe('OS_FAMILY_NOT_CONFIGURED');
    expect(err({ tenantName: 'a', vms: linux, protection: { protectionProfile: 'gold' } })).toBe(
      'PROTECTION_PROFILE_NOT_CONFIGURED',
    );
    const noTags = structuredClone(deployment);
    delete noTags.osFamilies[1].lightAgentSettings.connectionTags;
    delete noTags.osFamilies[1].lightAgentSettings.svmPathScope;
    expect(
      err({ tenantName: 'a', vms: linux, protection: { connectionTags: ['x'] } }, { ...site, deployment: noTags }),
    ).toBe('SETTING_NOT_CONFIGURED');
    expect(
      err(
        { tenantName: 'a', vms: linux, protection: { svmPathScope: 'same-cluster' } },
        { ...site, deployment: noTags },
      ),
    ).toBe('SETTING_NOT_CONFIGURED');
    expect(err({ tenantName: 'a', vms: linux }, { ...site, deployment: noTags })).toBe('ok');
  });
});
