import { asRecord, asRecords, KscPolicyInfo, requireNumber } from './ksc-records';
import { KscSession } from './ksc-session';

export interface NewPolicy {
  name: string;
  product: string;
  version: string;
  groupId: number;
  active?: boolean;
  settings?: Record<string, unknown>;
  locked?: string[];
}

/**
 * ASSUMPTION (the Policy class is not in ksc-openapi.md): a minimal Policy API with KLPOL_ID,
 * KLPOL_DN, KLPOL_PRODUCT, KLPOL_VERSION, KLPOL_GROUP_ID, KLPOL_ACTIVE and a KLPOL_SETTINGS
 * container. Verify names and the settings format against a lab server before production use.
 */
export class PolicyApi {
  constructor(private readonly session: KscSession) {}

  async getPoliciesForGroup(groupId: number): Promise<KscPolicyInfo[]> {
    return asRecords<KscPolicyInfo>((await this.session.call('Policy.GetPoliciesForGroup', { nGroupId: groupId })).PxgRetVal);
  }

  async addPolicy(p: NewPolicy): Promise<number> {
    const r = await this.session.call('Policy.AddPolicy', {
      pPolicyData: {
        KLPOL_DN: p.name,
        KLPOL_PRODUCT: p.product,
        KLPOL_VERSION: p.version,
        KLPOL_GROUP_ID: p.groupId,
        KLPOL_ACTIVE: p.active ?? true,
        KLPOL_SETTINGS: p.settings ?? {},
        KLPOL_LOCKED: p.locked ?? [],
      },
    });
    return requireNumber(r, 'PxgRetVal', 'Policy.AddPolicy');
  }

  async getPolicyData(policyId: number): Promise<KscPolicyInfo> {
    return asRecord<KscPolicyInfo>((await this.session.call('Policy.GetPolicyData', { nPolicy: policyId })).PxgRetVal);
  }

  /** Settings are merged key by key; KLPOL_DN / KLPOL_ACTIVE / KLPOL_LOCKED replaced when given. */
  async updatePolicyData(policyId: number, patch: { name?: string; active?: boolean; settings?: Record<string, unknown>; locked?: string[] }): Promise<void> {
    await this.session.call('Policy.UpdatePolicyData', {
      nPolicy: policyId,
      pData: { KLPOL_DN: patch.name, KLPOL_ACTIVE: patch.active, KLPOL_SETTINGS: patch.settings, KLPOL_LOCKED: patch.locked },
    });
  }

  async deletePolicy(policyId: number): Promise<void> {
    await this.session.call('Policy.DeletePolicy', { nPolicy: policyId });
  }
}
