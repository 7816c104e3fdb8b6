import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * XML for the Integration Server, built and parsed only through fast-xml-parser (>= 5.7, whose
 * builder escapes text and attributes and splits every `]]>` inside CDATA). Text is checked before
 * building: XML 1.0 cannot carry C0 control characters or lone surrogates, so they are refused with
 * a clear error instead of producing a document the server would choke on. Responses with a DTD
 * are refused before parsing (no entity expansion, no XXE).
 */
export class XmlSafetyError extends Error {
  override name = 'XmlSafetyError';
}

/** Characters XML 1.0 forbids: C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF. */
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function assertXmlText(value: string, field: string, maxLength: number): void {
  if (value.length > maxLength)
    throw new XmlSafetyError(`${field} is ${value.length} characters long; the limit is ${maxLength}`);
  const bad = FORBIDDEN.exec(value);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new XmlSafetyError(`${field} contains U+${code} at position ${bad.index}, which XML cannot carry`);
  }
}

export type XmlNode = Record<string, unknown>;

const LIST_ELEMENTS = new Set(['tenant', 'vm', 'task']);

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  cdataPropName: '#cdata',
  format: false,
  processEntities: true,
  suppressEmptyNode: true,
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
  // Lists under any wrapper are arrays, whatever the wrapper is called (§12.4 tolerance).
  isArray: (name, jpath) => LIST_ELEMENTS.has(name) && String(jpath).split('.').length > 1,
});

/** Wraps a value for a CDATA section (the builder splits any `]]>` it contains). */
export function cdata(value: string): XmlNode {
  return { '#cdata': value };
}

export function buildXml(root: XmlNode): string {
  return builder.build(root);
}

/** A DTD or entity declaration in markup; the same text inside CDATA (e.g. a tenant's userData) is data. */
function declaresDtd(text: string): boolean {
  return /<!DOCTYPE|<!ENTITY/i.test(text.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '').replace(/<!--[\s\S]*?-->/g, ''));
}

export function parseXml(text: string): XmlNode {
  if (declaresDtd(text)) throw new XmlSafetyError('response contains a DTD; refused (entities are never expanded)');
  // The parser is lenient; validate first so a truncated or garbled answer is an error, not data.
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    throw new XmlSafetyError(`response is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  try {
    return parser.parse(text) as XmlNode;
  } catch (e) {
    throw new XmlSafetyError(`response is not well-formed XML: ${(e as Error).message}`);
  }
}

/** Text content of an element: plain, escaped, or one or several CDATA sections. */
export function textOf(node: unknown): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (Array.isArray(node)) return textOf(node[0]);
  if (typeof node === 'object') {
    const o = node as XmlNode;
    const parts = [o['#text'], ...([] as unknown[]).concat(o['#cdata'] ?? [])].filter((p) => p !== undefined);
    return parts.map(String).join('');
  }
  return undefined;
}
