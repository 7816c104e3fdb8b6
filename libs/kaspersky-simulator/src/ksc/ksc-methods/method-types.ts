import type { IncomingMessage } from 'node:http';
import { Site } from '../../site/site';
import { KscArgs, KscIn } from '../ksc-codec';
import { KscProtocol } from '../ksc-protocol';
import { SimSession } from '../ksc-sessions';
import { KscWireError } from '../ksc-wire-error';

export interface KscCallContext {
  site: Site;
  protocol: KscProtocol;
  /** The caller's live session (StartSession and /login are handled before the method table). */
  session: SimSession;
  req: IncomingMessage;
  method: string;
}

/** `PxgRetVal` and out-parameters by name; `{}` for void methods. */
export type KscReply = Record<string, unknown>;
export type KscHandler = (ctx: KscCallContext, args: KscArgs) => KscReply | Promise<KscReply>;
export type KscHandlers = Record<string, KscHandler>;

function bad(name: string, what: string): KscWireError {
  return new KscWireError('STDE_BADPARAM', `parameter ${name} ${what}`);
}

export function argInt(args: KscArgs, name: string, fallback?: number): number {
  const v = args[name];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw bad(name, 'is required');
    return fallback;
  }
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(name, 'must be a number');
  return n;
}

export function argString(args: KscArgs, name: string, fallback?: string): string {
  const v = args[name];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw bad(name, 'is required');
    return fallback;
  }
  if (typeof v !== 'string') throw bad(name, 'must be a string');
  return v;
}

export function argBool(args: KscArgs, name: string, fallback: boolean): boolean {
  const v = args[name];
  return typeof v === 'boolean' ? v : fallback;
}

export function argArray(args: KscArgs, name: string): KscIn[] {
  const v = args[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(name, 'must be an array');
  return v;
}

export function argParams(args: KscArgs, name: string, required = false): Record<string, KscIn> {
  const v = args[name];
  if (v === undefined || v === null) {
    if (required) throw bad(name, 'is required');
    return {};
  }
  if (typeof v !== 'object' || Array.isArray(v) || v instanceof Date || Buffer.isBuffer(v))
    throw bad(name, 'must be a params container');
  return v;
}

export function argStrings(args: KscArgs, name: string): string[] {
  return argArray(args, name).map((x) => String(x));
}

/** Keeps only the requested attributes (all of them when the list is empty). */
export function project(record: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  if (fields.length === 0) return record;
  return Object.fromEntries(fields.filter((f) => record[f] !== undefined).map((f) => [f, record[f]]));
}

/** `vecFieldsToOrder` / `pSortFields`: `[{Name, Asc}]`. */
export function sortRecords(records: Record<string, unknown>[], order: KscIn[]): Record<string, unknown>[] {
  const keys = order
    .filter(
      (o): o is Record<string, KscIn> =>
        typeof o === 'object' && o !== null && !Array.isArray(o) && !(o instanceof Date) && !Buffer.isBuffer(o),
    )
    .map((o) => ({ name: String(o.Name ?? ''), asc: o.Asc !== false }));
  if (keys.length === 0) return records;
  return [...records].sort((a, b) => {
    for (const k of keys) {
      const x = sortable(a[k.name]);
      const y = sortable(b[k.name]);
      if (x === y) continue;
      const r = x === undefined ? -1 : y === undefined ? 1 : x < y ? -1 : 1;
      return k.asc ? r : -r;
    }
    return 0;
  });
}

function sortable(v: unknown): string | number | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  return String(v).toLowerCase();
}

/** Methods of main-server-only classes (VServers) refuse vAS sessions. */
export function requireMainServer(ctx: KscCallContext): void {
  if (ctx.session.vsId !== 0)
    throw new KscWireError('STDE_NOACCESS', `${ctx.method} is available on the main Administration Server only`);
}

/**
 * Refuses parameter names the method does not take (e.g. `pData` for UpdatePolicyData), as a real
 * server's parameter binding would: STDE_BADPARAM naming them.
 */
export function onlyParams(ctx: KscCallContext, args: KscArgs, allowed: readonly string[]): void {
  const unknown = Object.keys(args).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new KscWireError('STDE_BADPARAM', `${ctx.method}: unknown parameter(s) ${unknown.join(', ')}`);
}
