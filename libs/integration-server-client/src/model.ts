import { IntegrationServerProtocolError } from './errors';
import { textOf, XmlNode } from './xml-codec';

export type TenantType = 'Complete' | 'Simple';
export type TenantStatus = 'Active' | 'Inactive';
export type TaskState =
  'Created' | 'Queued' | 'Starting' | 'Running' | 'Completed' | 'Stopping' | 'Failed' | 'Canceled';

export interface IsTenant {
  id: string;
  created?: Date;
  updated?: Date;
  name: string;
  description?: string;
  userData?: string;
  type?: TenantType | string;
  status?: TenantStatus | string;
  vKsc?: { id?: string; userName?: string };
}

export interface IsVm {
  id?: string;
  biosId: string;
  created?: Date;
  updated?: Date;
  name?: string;
  userData?: string;
}

export interface IsTask {
  id: string;
  created?: Date;
  stateChanged?: Date;
  changed?: Date;
  state: TaskState | string;
  type?: string;
  name?: string;
  stage?: string;
  progress?: number;
  /** Raw `<result>`: a tenant for create/delete, `true` for activation, a report id for reports. */
  result?: { tenant?: IsTenant; text?: string };
  error?: { code?: string; message?: string };
}

export const TERMINAL_STATES = new Set(['Completed', 'Failed', 'Canceled', 'Cancelled', 'Stopped']);

/** `YYYY-MM-DDThh:mm:ss` read as UTC (§12.19); a zone or fraction, if a server sends one, is honoured. */
export function parseTimestamp(value: unknown): Date | undefined {
  const s = textOf(value);
  if (!s) return undefined;
  const d = new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? s : `${s}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function tenantFrom(node: XmlNode): IsTenant {
  const id = textOf(node['@_id']);
  const name = textOf(node.name);
  if (!id || name === undefined) throw new IntegrationServerProtocolError('tenant element without id or name');
  const vKsc = node.vKsc as XmlNode | undefined;
  return {
    id,
    created: parseTimestamp(node['@_created']),
    updated: parseTimestamp(node['@_updated']),
    name,
    description: textOf(node.description),
    userData: textOf(node.userData),
    type: textOf(node.type),
    status: textOf(node.status),
    vKsc: vKsc ? { id: textOf(vKsc['@_id']), userName: textOf((vKsc.user as XmlNode | undefined)?.name) } : undefined,
  };
}

export function vmFrom(node: XmlNode): IsVm {
  const biosId = textOf(node['@_biosId']);
  if (!biosId) throw new IntegrationServerProtocolError('vm element without biosId');
  return {
    id: textOf(node['@_id']),
    biosId,
    created: parseTimestamp(node['@_created']),
    updated: parseTimestamp(node['@_updated']),
    name: textOf(node.name),
    userData: textOf(node.userData),
  };
}

export function taskFrom(node: XmlNode): IsTask {
  const id = textOf(node['@_id']);
  if (!id) throw new IntegrationServerProtocolError('task element without id');
  const state = textOf(node.state) ?? 'Created';
  const resultNode = node.result;
  let result: IsTask['result'];
  if (resultNode !== undefined) {
    const tenant =
      typeof resultNode === 'object' && resultNode !== null
        ? ((resultNode as XmlNode).tenant as XmlNode | XmlNode[] | undefined)
        : undefined;
    const t = Array.isArray(tenant) ? tenant[0] : tenant;
    result = t ? { tenant: tenantFrom(t), text: undefined } : { text: textOf(resultNode)?.trim() };
  }
  const errorNode = node.error as XmlNode | string | undefined;
  const progress = Number(textOf(node.progress));
  return {
    id,
    created: parseTimestamp(node['@_created']),
    stateChanged: parseTimestamp(node['@_stateChanged']),
    changed: parseTimestamp(node['@_changed']),
    state: state === 'Cancelled' || state === 'Stopped' ? 'Canceled' : state,
    type: textOf(node.type),
    name: textOf(node.name),
    stage: textOf(node.stage),
    progress: Number.isFinite(progress) ? progress : undefined,
    result,
    error:
      errorNode === undefined
        ? undefined
        : typeof errorNode === 'object'
          ? { code: textOf(errorNode.code), message: textOf(errorNode.message) ?? textOf(errorNode) }
          : { code: /\b((?:VIRMT|KSC)_[A-Za-z]+)\b/.exec(errorNode)?.[1], message: errorNode },
  };
}

/** Child elements named `name` of whatever root the list came in (§12.4). */
export function listOf(doc: XmlNode, name: string): XmlNode[] {
  for (const root of Object.values(doc)) {
    if (root && typeof root === 'object' && !Array.isArray(root)) {
      const items = (root as XmlNode)[name];
      if (items !== undefined) return ([] as XmlNode[]).concat(items as XmlNode | XmlNode[]);
    }
  }
  return [];
}

/**
 * The task id of a 202 answer, tolerating the undocumented shapes (§5.5): `<task id>`, any element
 * with an `id` attribute, `<taskId>`/`<id>`, a bare UUID, or a `Location` header.
 */
export function taskIdFrom(doc: XmlNode | undefined, raw: string, location: string | undefined): string | undefined {
  if (doc) {
    for (const [name, node] of Object.entries(doc)) {
      if (name.startsWith('?') || typeof node !== 'object' || node === null) continue;
      const n = (Array.isArray(node) ? node[0] : node) as XmlNode;
      const id = textOf(n['@_id']) ?? textOf(n.taskId) ?? textOf(n.id);
      if (id) return id.trim();
    }
    for (const key of ['taskId', 'id']) if (typeof doc[key] === 'string') return (doc[key] as string).trim();
  }
  const bare = /^\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s*$/i.exec(raw);
  if (bare) return bare[1];
  const fromLocation = location ? /\/tasks\/([^/?#]+)/.exec(location)?.[1] : undefined;
  return fromLocation ? decodeURIComponent(fromLocation) : undefined;
}
