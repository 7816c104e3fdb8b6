import { randomUUID } from 'node:crypto';
import { KscModelError } from './ksc-model';

/**
 * A policy's settings storage as KSC keeps it (ksc-openapi-addendum.md §2.2-§2.3, DOCUMENTED):
 * product → version → section → variable, each variable `{KLPRSS_Val, KLPRSS_Mnd}` (Mnd true =
 * locked). Read and edited through an SsContents id from `Policy.GetPolicyContents`; edits land in
 * a working copy and are saved only by `Ss_Apply`.
 */
export interface PolicyVariable {
  KLPRSS_Val: unknown;
  KLPRSS_Mnd: boolean;
}
export type SettingsSection = Record<string, PolicyVariable>;
export type SettingsStorage = Record<string, Record<string, Record<string, SettingsSection>>>;

/** DOCUMENTED (addendum §2.2): product / version / section names are non-empty, ≤ 31 chars, none of `/\:*?"<>`. */
export const SS_NAME = /^[^/\\:*?"<>]{1,31}$/;

export function checkSsName(kind: string, v: string): void {
  if (!SS_NAME.test(v))
    throw new KscModelError(
      'STDE_BADPARAM',
      `${kind} "${v}" is not a valid settings-storage name (1-31 characters, none of / \\ : * ? " < >)`,
    );
}

/** ASSUMPTION (addendum §2.4: "whether a fresh policy already has the section is ASSUMPTION"): a new policy has its product/version and no section. */
export function emptyStorage(product: string, version: string): SettingsStorage {
  return { [product]: { [version]: {} } };
}

export function cloneStorage(s: SettingsStorage): SettingsStorage {
  return structuredClone(s);
}

/** Writable keys of a policy variable; the `KLPRSS_ValLck*` ones are read-only information (addendum §2.3). */
const VARIABLE_KEYS = new Set([
  'KLPRSS_Val',
  'KLPRSS_Mnd',
  'KLPRSS_ValLck',
  'KLPRSS_ValLckPolicy',
  'KLPRSS_ValLckGroup',
]);

function isContainer(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);
}

/** Checks that every variable of `data` is in the policy format; returns the writable part. */
export function policyVariables(data: Record<string, unknown>): SettingsSection {
  const out: SettingsSection = {};
  for (const [name, raw] of Object.entries(data)) {
    if (!isContainer(raw) || !('KLPRSS_Val' in raw) || typeof raw.KLPRSS_Mnd !== 'boolean') {
      throw new KscModelError('STDE_BADPARAM', `variable ${name} is not a policy value {KLPRSS_Val, KLPRSS_Mnd}`);
    }
    const unknown = Object.keys(raw).filter((k) => !VARIABLE_KEYS.has(k));
    if (unknown.length > 0)
      throw new KscModelError('STDE_BADPARAM', `variable ${name} has unknown keys: ${unknown.join(', ')}`);
    out[name] = { KLPRSS_Val: raw.KLPRSS_Val, KLPRSS_Mnd: raw.KLPRSS_Mnd };
  }
  return out;
}

export interface OpenContents {
  id: string;
  policyId: number;
  vsId: number;
  working: SettingsStorage;
  expiresAt: number;
  lifetimeMs: number;
}

/**
 * Open SsContents ids. ASSUMPTION: an id is usable on the server (main or vAS) that opened it, until
 * Ss_Release or its lifetime (`nLifeTime` ms, 0 = `defaultLifetimeMs`) passes without use.
 */
export class SsContentsStore {
  private readonly open = new Map<string, OpenContents>();

  constructor(private readonly defaultLifetimeMs = 600_000) {}

  openFor(policyId: number, vsId: number, settings: SettingsStorage, lifetimeMs: number): OpenContents {
    this.sweep();
    const life = lifetimeMs > 0 ? lifetimeMs : this.defaultLifetimeMs;
    const c: OpenContents = {
      id: `SS-${randomUUID()}`,
      policyId,
      vsId,
      working: cloneStorage(settings),
      lifetimeMs: life,
      expiresAt: Date.now() + life,
    };
    this.open.set(c.id, c);
    return c;
  }

  require(id: string, vsId: number): OpenContents {
    const c = this.open.get(id);
    if (!c || c.vsId !== vsId || c.expiresAt < Date.now()) {
      if (c && c.expiresAt < Date.now()) this.open.delete(id);
      throw new KscModelError('STDE_NOTFOUND', `settings storage ${id} not found or expired`);
    }
    c.expiresAt = Date.now() + c.lifetimeMs;
    return c;
  }

  release(id: string, vsId: number): void {
    this.require(id, vsId);
    this.open.delete(id);
  }

  get size(): number {
    this.sweep();
    return this.open.size;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, c] of this.open) if (c.expiresAt < now) this.open.delete(k);
  }
}

export function section(
  storage: SettingsStorage,
  product: string,
  version: string,
  name: string,
): SettingsSection | undefined {
  return storage[product]?.[version]?.[name];
}
