import { KscValue } from './ksc-codec';
import { isRecord } from './ksc-records';

/**
 * Policy value format (ksc-openapi-addendum.md §2.3, DOCUMENTED KSC16/a00105): in a policy every
 * variable is a container `{KLPRSS_Val, KLPRSS_Mnd}`; `KLPRSS_Mnd: true` is the console padlock
 * (locked / mandatory). `KLPRSS_ValLck*` are read-only information and never written.
 * For a container variable, `KLPRSS_Val` holds its children in the same form.
 */
export interface PolicyValue<T = KscValue> {
  value: T;
  locked: boolean;
}

/** What goes on the wire for one variable (only the two writable keys). */
export function encodePolicyValue(value: unknown, locked: boolean): { KLPRSS_Val: unknown; KLPRSS_Mnd: boolean } {
  return { KLPRSS_Val: value, KLPRSS_Mnd: locked };
}

/** A section's variables for Ss_Update / Ss_Add / Ss_Replace. */
export function encodePolicySection(
  vars: Record<string, PolicyValue<unknown>>,
): Record<string, { KLPRSS_Val: unknown; KLPRSS_Mnd: boolean }> {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, encodePolicyValue(v.value, v.locked)]));
}

/** One variable as read (Ss_Read); undefined when it is not in the policy format. */
export function decodePolicyValue(raw: KscValue | undefined): PolicyValue | undefined {
  if (!isRecord(raw) || !('KLPRSS_Val' in raw)) return undefined;
  return { value: raw.KLPRSS_Val ?? null, locked: raw.KLPRSS_Mnd === true };
}

/** A section as read: variables in the policy format, the others left out. */
export function decodePolicySection(raw: Record<string, KscValue>): Record<string, PolicyValue> {
  const out: Record<string, PolicyValue> = {};
  for (const [k, v] of Object.entries(raw)) {
    const d = decodePolicyValue(v);
    if (d) out[k] = d;
  }
  return out;
}

/** Structural equality of decoded values (arrays in order, containers by key). */
export function samePolicyValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'object' && v !== null && !Buffer.isBuffer(v)) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, normalize((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
