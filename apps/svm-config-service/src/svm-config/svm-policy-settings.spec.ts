import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppliedSvmConfig } from '@tpo/contracts';
import { LA_SETTINGS, planSvmConfig, policyPatch, PROVIDER_SVM_FOLDER, PS_SETTINGS } from './svm-policy-settings';

describe('planSvmConfig', () => {
  it('uses the defaults: site IS address, no tags, path scope any, profile standard', () => {
    const plan = planSvmConfig({ tenantName: 'Acme Corp' }, '10.0.0.5');
    expect(plan.applied).toEqual({
      lightAgentPolicy: 'TPO Light Agent - Acme Corp',
      discovery: 'integration-server',
      integrationServerAddress: '10.0.0.5',
      connectionTags: [],
      svmPathScope: 'any',
      protectionProfile: 'standard',
      protectionServerPolicy: 'TPO Protection Server - standard',
      locked: true,
    });
    expect(plan.lightAgent.settings).toEqual({
      [LA_SETTINGS.discovery]: 'IntegrationServer',
      [LA_SETTINGS.isAddress]: '10.0.0.5',
      [LA_SETTINGS.isPort]: 7271,
      [LA_SETTINGS.tags]: [],
      [LA_SETTINGS.algorithm]: 'standard',
      [LA_SETTINGS.pathScope]: 'any',
    });
    expect(plan.protectionServer.folderPath).toEqual([PROVIDER_SVM_FOLDER, 'standard']);
    expect(plan.protectionServer.settings).toEqual({ [PS_SETTINGS.profile]: 'standard' });
  });

  it('takes the tenant options: preferred IS address, tags (deduplicated), path scope, profile', () => {
    const plan = planSvmConfig(
      { tenantName: 'beta', protection: { integrationServerAddress: '192.0.2.10', connectionTags: ['gold', 'eu-1', 'gold'], svmPathScope: 'same-cluster', protectionProfile: 'strict' } },
      '10.0.0.5',
    );
    expect(plan.applied).toMatchObject({ integrationServerAddress: '192.0.2.10', connectionTags: ['gold', 'eu-1'], svmPathScope: 'same-cluster', protectionProfile: 'strict' });
    expect(plan.lightAgent.settings[LA_SETTINGS.algorithm]).toBe('extended');
    expect(plan.lightAgent.settings[LA_SETTINGS.tags]).toEqual(['gold', 'eu-1']);
    expect(plan.protectionServer.name).toBe('TPO Protection Server - strict');
    expect(plan.protectionServer.folderPath).toEqual([PROVIDER_SVM_FOLDER, 'strict']);
  });

  it('locks every SVM connection setting of the Light Agent policy', () => {
    const plan = planSvmConfig({ tenantName: 'acme' }, '10.0.0.5');
    expect([...plan.lightAgent.locked].sort()).toEqual(Object.keys(plan.lightAgent.settings).sort());
    expect(plan.protectionServer.locked).toEqual([PS_SETTINGS.profile]);
  });

  it('produces an `applied` block that validates against the SvmConfigured contract', () => {
    const { applied } = planSvmConfig({ tenantName: 'acme', protection: { connectionTags: ['a_b'] } }, '10.0.0.5');
    expect(validateSync(plainToInstance(AppliedSvmConfig, applied))).toEqual([]);
  });
});

describe('policyPatch', () => {
  const spec = planSvmConfig({ tenantName: 'acme', protection: { connectionTags: ['t1'] } }, '10.0.0.5').lightAgent;

  it('is undefined when settings, locks and activity already match (extra provider settings and locks are fine)', () => {
    const current = { settings: { ...spec.settings, ProviderTweak: 1 }, locked: [...spec.locked, 'ProviderLock'], active: true };
    expect(policyPatch(current, spec)).toBeUndefined();
  });

  it('rewrites our settings when one differs, tags compared as arrays', () => {
    const patch = policyPatch({ settings: { ...spec.settings, [LA_SETTINGS.tags]: ['t1', 't2'] }, locked: spec.locked, active: true }, spec);
    expect(patch).toEqual({ settings: spec.settings });
  });

  it('adds missing locks without dropping existing ones, and re-activates an inactive policy', () => {
    const patch = policyPatch({ settings: spec.settings, locked: ['ProviderLock', LA_SETTINGS.isAddress], active: false }, spec);
    expect(patch?.settings).toBeUndefined();
    expect(patch?.active).toBe(true);
    expect(patch?.locked?.slice(0, 2)).toEqual(['ProviderLock', LA_SETTINGS.isAddress]);
    expect([...new Set(patch!.locked)].sort()).toEqual(['ProviderLock', ...spec.locked].sort());
  });

  it('treats a policy without settings as entirely out of line', () => {
    expect(policyPatch({}, spec)).toEqual({ settings: spec.settings, locked: spec.locked });
  });
});
