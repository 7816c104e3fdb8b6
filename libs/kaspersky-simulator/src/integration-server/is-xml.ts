import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { IsTask, IsTenant, IsVm, isTimestamp } from './is-model';

/** The simulator's own XML handling (deliberately independent of the client's codec). */
const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  cdataPropName: '#cdata',
  format: false,
  processEntities: true,
  suppressEmptyNode: false,
});

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  cdataPropName: '#cdata',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
});

export type XmlNode = Record<string, unknown>;

export class XmlRequestError extends Error {}

/**
 * True when the document declares a DTD or entities: markup outside CDATA sections and comments.
 * Text inside CDATA is character data (XML 1.0 §2.7), so `<!DOCTYPE` there is just text.
 */
export function declaresDtd(body: string): boolean {
  const markup = body.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '').replace(/<!--[\s\S]*?-->/g, '');
  return /<!DOCTYPE|<!ENTITY/i.test(markup);
}

/** Parses a request body; DTDs are refused outright (no entity tricks reach the model). */
export function parseXmlBody(body: string): XmlNode {
  if (declaresDtd(body)) throw new XmlRequestError('DTDs are not accepted');
  if (body.trim() === '') throw new XmlRequestError('empty body');
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new XmlRequestError(`malformed XML: ${valid.err.msg}`);
  try {
    return parser.parse(body) as XmlNode;
  } catch (e) {
    throw new XmlRequestError(`malformed XML: ${(e as Error).message}`);
  }
}

/** Text of an element whether plain, entity-escaped or in one or several CDATA sections. */
export function textOf(node: unknown): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (typeof node === 'object') {
    const o = node as XmlNode;
    const cdata = o['#cdata'];
    const text = o['#text'];
    const parts = [text, ...(Array.isArray(cdata) ? cdata : [cdata])].filter((p) => p !== undefined).map(String);
    return parts.join('');
  }
  return undefined;
}

const DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';

export function toXml(root: XmlNode): string {
  return DECLARATION + builder.build(root);
}

export function tenantNode(t: IsTenant): XmlNode {
  return {
    '@_id': t.id,
    '@_created': isTimestamp(t.created),
    '@_updated': isTimestamp(t.updated),
    name: t.name,
    description: t.description ?? '',
    userData: { '#cdata': t.userData ?? '' },
    ...(t.vKsc ? { vKsc: { '@_id': t.vKsc.id, user: { name: t.vKsc.userName } } } : {}),
    status: t.status,
    type: t.type,
  };
}

export function vmNode(v: IsVm): XmlNode {
  return {
    '@_id': v.id,
    '@_biosId': v.biosId,
    '@_created': isTimestamp(v.created),
    '@_updated': isTimestamp(v.updated),
    ...(v.name !== undefined ? { name: v.name } : {}),
    ...(v.userData !== undefined ? { userData: { '#cdata': v.userData } } : {}),
  };
}

export function taskNode(t: IsTask): XmlNode {
  const node: XmlNode = {
    '@_id': t.id,
    '@_created': isTimestamp(t.created),
    '@_stateChanged': isTimestamp(t.stateChanged),
    '@_changed': isTimestamp(t.changed),
    state: t.state,
    type: t.type,
    stage: t.stage,
    progress: String(t.progress),
  };
  if (t.state === 'Completed' && t.result) {
    if (t.result.kind === 'tenant') node.result = { tenant: tenantNode(t.result.tenant) };
    else node.result = String(t.result.value);
  }
  if (t.error && (t.state === 'Failed' || t.state === 'Canceled'))
    node.error = { code: t.error.code, message: t.error.message };
  return node;
}

export function errorXml(code: string | undefined, message: string): string {
  return toXml({ error: { ...(code ? { code } : {}), message } });
}
