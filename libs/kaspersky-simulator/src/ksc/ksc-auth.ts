/** Parsing of the KSC authentication headers (ksc-openapi.md §2.1, §2.4). */

export interface KscBasicCredentials {
  user: string;
  password: string;
  domain?: string;
  internal?: string;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 → UTF-8; undefined when the text is not base64 or not UTF-8. */
export function decodeBase64Utf8(text: string): string | undefined {
  const t = text.trim();
  if (t.length % 4 !== 0 || !B64.test(t)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(t, 'base64'));
  } catch {
    return undefined;
  }
}

/**
 * `KSCBasic user="<b64>", pass="<b64>", domain="<domain>", internal="1"`. Omitted attributes are
 * tolerated (§2.1); user and pass are mandatory.
 */
export function parseKscBasic(header: string | undefined): KscBasicCredentials | undefined {
  if (!header) return undefined;
  const m = /^\s*KSCBasic\s+(.*)$/i.exec(header);
  if (!m) return undefined;
  const attrs = new Map<string, string>();
  for (const a of m[1].matchAll(/(\w+)\s*=\s*"([^"]*)"/g)) attrs.set(a[1].toLowerCase(), a[2]);
  const user = attrs.has('user') ? decodeBase64Utf8(attrs.get('user')!) : undefined;
  const password = attrs.has('pass') ? decodeBase64Utf8(attrs.get('pass')!) : undefined;
  if (user === undefined || password === undefined) return undefined;
  const rawDomain = attrs.get('domain');
  // ASSUMPTION (ksc-openapi.md §2.1 / Q9): the domain may come plain (official client) or base64
  // (one third-party client); a value that decodes cleanly to printable text is taken as base64.
  const decodedDomain = rawDomain ? decodeBase64Utf8(rawDomain) : undefined;
  const domain = decodedDomain !== undefined && /^[\x20-\x7e]+$/.test(decodedDomain) ? decodedDomain : rawDomain;
  return { user, password, domain, internal: attrs.get('internal') };
}

/**
 * `X-KSC-VServer: base64(KLVSRV_DN)`. Empty or undecodable values select the main server
 * (ASSUMPTION ksc-openapi.md §2.4 / Q3), reported here as undefined.
 */
export function parseVServerHeader(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v || v.trim() === '') return undefined;
  const name = decodeBase64Utf8(v);
  return name === undefined || name === '' ? undefined : name;
}
