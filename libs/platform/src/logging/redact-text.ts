/**
 * Text from outside (a vendor's error message) can echo a secret: vendor error text can echo the request (a CreateTenant body carries the vKSC admin password in
 * Base64). Everything a vendor said passes through here before it reaches a log, a job row, a
 * tenant's failure or an event.
 */
const PASSWORD_ELEMENT = /(<|&lt;)(password|pwd|secret)(>|&gt;)[\s\S]*?(<|&lt;)\/\2(>|&gt;)/gi;
const PASSWORD_PAIR = /("?(?:password|pwd|secret|authorization)"?\s*[:=]\s*)("[^"]*"|'[^']*'|\S+)/gi;
/** A Base64 / opaque token: 12+ characters of the Base64 alphabet with a digit or `+/=` and both cases. */
const OPAQUE_TOKEN = /[A-Za-z0-9+/]{12,}={0,2}/g;

function looksSecret(token: string): boolean {
  const hasLower = /[a-z]/.test(token);
  const hasUpper = /[A-Z]/.test(token);
  const hasMarker = /[0-9+/=]/.test(token);
  return hasLower && hasUpper && hasMarker;
}

/** Removes secrets (and anything that looks like one) from vendor-supplied text; caps the length. */
export function redactSecretsInText(text: string, knownSecrets: readonly string[] = [], max = 1000): string {
  let out = text;
  for (const s of knownSecrets) {
    if (!s) continue;
    for (const form of [s, Buffer.from(s, 'utf8').toString('base64')]) out = out.split(form).join('[REDACTED]');
  }
  out = out
    .replace(
      PASSWORD_ELEMENT,
      (_m, open: string, tag: string, close: string, open2: string, close2: string) =>
        `${open}${tag}${close}[REDACTED]${open2}/${tag}${close2}`,
    )
    .replace(PASSWORD_PAIR, (_m, key: string) => `${key}[REDACTED]`)
    .replace(OPAQUE_TOKEN, (t) => (looksSecret(t) ? '[REDACTED]' : t));
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
