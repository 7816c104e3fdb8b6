import { KscProtocolError } from './errors';
import { asRecord, asRecords, KscPolicyInfo, requireNumber, requireString } from './ksc-records';
import { KscSession } from './ksc-session';
import { SsContentsApi } from './ss-contents-api';

/**
 * A new policy: exactly the attributes `Policy.AddPolicy` accepts (ksc-openapi-addendum.md §2.1,
 * DOCUMENTED KSC14/a00556): mandatory KLPOL_DN, KLPOL_PRODUCT, KLPOL_VERSION, KLPOL_GROUP_ID;
 * optional KLPOL_ACTIVE (KSC default false), KLPOL_ROAMING, KLPOL_ACCEPT_PARENT,
 * KLPOL_FORCE_DISTRIB2CHILDREN, KLPOL_HIDE_ON_SLAVES. Settings are not attributes: they live in the
 * policy's settings storage (`getPolicyContents` + SsContentsApi).
 */
export interface NewPolicy {
  name: string;
  product: string;
  version: string;
  groupId: number;
  active?: boolean;
  roaming?: boolean;
  acceptParent?: boolean;
  forceDistribToChildren?: boolean;
  hideOnSlaves?: boolean;
}

/** The only attributes `Policy.UpdatePolicyData` can change (addendum §2.1, DOCUMENTED KSC15.1/a00570). */
export interface PolicyAttributePatch {
  name?: string;
  active?: boolean;
  roaming?: boolean;
  acceptParent?: boolean;
  forceDistribToChildren?: boolean;
}

function changeable(p: PolicyAttributePatch): Record<string, unknown> {
  return {
    KLPOL_DN: p.name,
    KLPOL_ACTIVE: p.active,
    KLPOL_ROAMING: p.roaming,
    KLPOL_ACCEPT_PARENT: p.acceptParent,
    KLPOL_FORCE_DISTRIB2CHILDREN: p.forceDistribToChildren,
  };
}

/**
 * The `Policy` class (ksc-openapi-addendum.md §2.1, DOCUMENTED KSC14/a00556, KSC15/a00559), only
 * the calls and attributes the vendor documents. Policies of the main server or of a vAS,
 * depending on the session.
 */
export class PolicyApi {
  constructor(private readonly session: KscSession) {}

  /** Policies of a group (`-1` = all groups of the session's server). */
  async getPoliciesForGroup(groupId: number): Promise<KscPolicyInfo[]> {
    return asRecords<KscPolicyInfo>(
      (await this.session.call('Policy.GetPoliciesForGroup', { nGroupId: groupId })).PxgRetVal,
    );
  }

  async getPolicyData(policyId: number): Promise<KscPolicyInfo> {
    return asRecord<KscPolicyInfo>((await this.session.call('Policy.GetPolicyData', { nPolicy: policyId })).PxgRetVal);
  }

  async addPolicy(p: NewPolicy): Promise<number> {
    const r = await this.session.call('Policy.AddPolicy', {
      pPolicyData: {
        KLPOL_DN: p.name,
        KLPOL_PRODUCT: p.product,
        KLPOL_VERSION: p.version,
        KLPOL_GROUP_ID: p.groupId,
        KLPOL_ACTIVE: p.active,
        KLPOL_ROAMING: p.roaming,
        KLPOL_ACCEPT_PARENT: p.acceptParent,
        KLPOL_FORCE_DISTRIB2CHILDREN: p.forceDistribToChildren,
        KLPOL_HIDE_ON_SLAVES: p.hideOnSlaves,
      },
    });
    return requireNumber(r, 'PxgRetVal', 'Policy.AddPolicy');
  }

  /** Only the changeable attributes; absent ones are left as they are. */
  async updatePolicyData(policyId: number, patch: PolicyAttributePatch): Promise<void> {
    await this.session.call('Policy.UpdatePolicyData', { nPolicy: policyId, pPolicyData: changeable(patch) });
  }

  async deletePolicy(policyId: number): Promise<void> {
    await this.session.call('Policy.DeletePolicy', { nPolicy: policyId });
  }

  /**
   * Copies (or moves, `deleteOrigin`) a policy with its settings into another group of the same
   * server; `extra` may set the copy's KLPOL_DN and KLPOL_ACTIVE (pExtraData). Returns the new id.
   */
  async copyOrMovePolicy(
    policyId: number,
    newGroupId: number,
    deleteOrigin: boolean,
    extra: { name?: string; active?: boolean } = {},
  ): Promise<number> {
    const r = await this.session.call('Policy.CopyOrMovePolicy', {
      nPolicy: policyId,
      nNewGroupId: newGroupId,
      bDeleteOrigin: deleteOrigin,
      pExtraData: { KLPOL_DN: extra.name, KLPOL_ACTIVE: extra.active },
    });
    return requireNumber(r, 'PxgRetVal', 'Policy.CopyOrMovePolicy');
  }

  async makePolicyActive(policyId: number, active: boolean): Promise<boolean> {
    const r = await this.session.call('Policy.MakePolicyActive', { nPolicy: policyId, bActive: active });
    return r.PxgRetVal !== false;
  }

  /**
   * Opens the policy's settings storage: an SsContents id (revision 0 = current; lifetime in ms,
   * 0 = the server's default). Release it with `SsContentsApi.release` — or use `withPolicyContents`.
   */
  async getPolicyContents(policyId: number, revisionId = 0, lifetimeMs = 0): Promise<string> {
    const r = await this.session.call('Policy.GetPolicyContents', {
      nPolicy: policyId,
      nRevisionId: revisionId,
      nLifeTime: lifetimeMs,
    });
    return requireString(r, 'PxgRetVal', 'Policy.GetPolicyContents');
  }

  /** `fn` with the policy's settings storage open; always released (see the free function). */
  withPolicyContents<T>(
    policyId: number,
    fn: (contents: PolicyContents) => Promise<T>,
    opts: { lifetimeMs?: number } = {},
  ): Promise<T> {
    return withPolicyContents(this.session, policyId, fn, opts);
  }
}

/**
 * Runs `fn` with the policy's settings storage open and always releases it (`Ss_Release` in
 * `finally`, addendum §2.2). Nothing `fn` writes is saved unless it calls `contents.apply()`.
 */
export async function withPolicyContents<T>(
  session: KscSession,
  policyId: number,
  fn: (contents: PolicyContents) => Promise<T>,
  opts: { lifetimeMs?: number } = {},
): Promise<T> {
  const api = new SsContentsApi(session);
  const id = await new PolicyApi(session).getPolicyContents(policyId, 0, opts.lifetimeMs ?? 300_000);
  if (!id) throw new KscProtocolError('Policy.GetPolicyContents: no settings storage id');
  try {
    return await fn(new PolicyContents(api, id));
  } finally {
    await api.release(id).catch(() => undefined); // a storage not released expires with its lifetime
  }
}

/** One open settings storage (an SsContents id) with its operations bound. */
export class PolicyContents {
  constructor(
    readonly api: SsContentsApi,
    readonly id: string,
  ) {}

  products(): Promise<string[]> {
    return this.api.getNames(this.id);
  }

  versions(product: string): Promise<string[]> {
    return this.api.getNames(this.id, product);
  }

  sections(product: string, version: string): Promise<string[]> {
    return this.api.getNames(this.id, product, version);
  }

  read(product: string, version: string, section: string) {
    return this.api.read(this.id, product, version, section);
  }

  replace(product: string, version: string, section: string, data: Record<string, unknown>) {
    return this.api.replace(this.id, product, version, section, data);
  }

  update(product: string, version: string, section: string, data: Record<string, unknown>) {
    return this.api.update(this.id, product, version, section, data);
  }

  add(product: string, version: string, section: string, data: Record<string, unknown>) {
    return this.api.add(this.id, product, version, section, data);
  }

  createSection(product: string, version: string, section: string) {
    return this.api.createSection(this.id, product, version, section);
  }

  apply() {
    return this.api.apply(this.id);
  }
}
