import { KscValue } from './ksc-codec';
import { asRecord } from './ksc-records';
import { KscSession } from './ksc-session';

/** Product / version / section names: non-empty, ≤ 31 characters, none of `/\:*?"<>` (addendum §2.2, DOCUMENTED). */
export const SS_NAME_PATTERN = /^[^/\\:*?"<>]{1,31}$/;

function checkName(kind: string, v: string): string {
  if (!SS_NAME_PATTERN.test(v))
    throw new RangeError(`settings-storage ${kind} "${v}" must be 1-31 characters without / \\ : * ? " < >`);
  return v;
}

/**
 * The `SsContents` class (ksc-openapi-addendum.md §2.2, DOCUMENTED KSC13/a00550): a settings
 * storage opened by `Policy.GetPolicyContents` (or PolicyProfiles). Edits are invisible until
 * `Ss_Apply`; `Ss_Release` frees the id. Method names are case-sensitive (`SS_GetNames` but
 * `Ss_Read`). Policy values are `{KLPRSS_Val, KLPRSS_Mnd}` containers (see policy-values.ts).
 * The data parameter `pNewData` is DOCUMENTED for Ss_Replace (addendum §2.4) and assumed for
 * Ss_Update / Ss_Add (method catalog).
 */
export class SsContentsApi {
  constructor(private readonly session: KscSession) {}

  /** Both empty → products; product only → versions; both → sections. */
  async getNames(id: string, product = '', version = ''): Promise<string[]> {
    if (product !== '') checkName('product', product);
    if (version !== '') checkName('version', version);
    const r = await this.session.call(
      'SsContents.SS_GetNames',
      { wstrID: id, wstrProduct: product, wstrVersion: version },
      { idempotent: true },
    );
    return Array.isArray(r.PxgRetVal) ? r.PxgRetVal.map((x) => String(x)) : [];
  }

  async read(
    id: string,
    product: string,
    version: string,
    section: string,
    opts: { keepTypes?: boolean } = {},
  ): Promise<Record<string, KscValue>> {
    const r = await this.session.call(
      'SsContents.Ss_Read',
      {
        wstrID: id,
        wstrProduct: checkName('product', product),
        wstrVersion: checkName('version', version),
        wstrSection: checkName('section', section),
      },
      { idempotent: true, keepTypes: opts.keepTypes },
    );
    return asRecord(r.PxgRetVal) as Record<string, KscValue>;
  }

  /** Existing variables only (the server refuses a missing one). */
  async update(
    id: string,
    product: string,
    version: string,
    section: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    await this.write('SsContents.Ss_Update', id, product, version, section, data);
  }

  /** New variables only. */
  async add(
    id: string,
    product: string,
    version: string,
    section: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    await this.write('SsContents.Ss_Add', id, product, version, section, data);
  }

  /** Add or update. */
  async replace(
    id: string,
    product: string,
    version: string,
    section: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    await this.write('SsContents.Ss_Replace', id, product, version, section, data);
  }

  /** The three writes differ only in the method: same target, variables in `pNewData`. */
  private async write(
    method: string,
    id: string,
    product: string,
    version: string,
    section: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    await this.session.call(method, { ...this.target(id, product, version, section), pNewData: data });
  }

  async createSection(id: string, product: string, version: string, section: string): Promise<void> {
    await this.session.call('SsContents.Ss_CreateSection', this.target(id, product, version, section));
  }

  /** Saves every change made through this id. */
  async apply(id: string): Promise<void> {
    await this.session.call('SsContents.Ss_Apply', { wstrID: id });
  }

  async release(id: string): Promise<void> {
    await this.session.call('SsContents.Ss_Release', { wstrID: id });
  }

  private target(id: string, product: string, version: string, section: string) {
    return {
      wstrID: id,
      wstrProduct: checkName('product', product),
      wstrVersion: checkName('version', version),
      wstrSection: checkName('section', section),
    };
  }
}
