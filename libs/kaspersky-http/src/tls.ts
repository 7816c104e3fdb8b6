import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import { AddressClass, addressRefusal, AddressNotAllowedError, guardedLookup } from './address-policy';

/**
 * How a client trusts a Kaspersky server's certificate. Both the Integration Server and KSC
 * present their own (usually self-generated) certificates, so the options are: a CA bundle, a
 * SHA-256 certificate pin, or — for labs only — an explicit insecure switch that is logged loudly.
 */
export interface TlsTrust {
  /** PEM text of the CA (or the server's own certificate) to trust. */
  caPem?: string;
  /** Path to a PEM file, read at construction. */
  caFile?: string;
  /** SHA-256 fingerprint of the server certificate (hex, with or without colons). */
  pinSha256?: string;
  /** Lab switch: skip verification entirely. Never a default; every client logs a warning. */
  insecure?: boolean;
}

export function normalizeFingerprint(fp: string): string {
  return fp.replace(/[^0-9a-f]/gi, '').toUpperCase();
}

export function certificateFingerprint(pem: string): string {
  return normalizeFingerprint(new X509Certificate(pem).fingerprint256);
}

/**
 * An undici connector applying the trust settings. A pin is checked on the live socket after the
 * handshake (Node skips `checkServerIdentity` for self-signed chains, so it cannot carry the pin).
 */
export function tlsConnector(trust: TlsTrust = {}, allow?: ReadonlySet<AddressClass>): buildConnector.connector {
  const connector = pinnedConnector(trust, allow ? { lookup: guardedLookup(allow) } : {});
  if (!allow) return connector;
  // IP literals never go through a lookup: check them here.
  return (options, callback) => {
    const host = options.hostname.replace(/^\[|\]$/g, '');
    const reason = isIP(host) ? addressRefusal(host, allow) : undefined;
    if (reason) return callback(new AddressNotAllowedError(host, reason), null);
    return connector(options, callback);
  };
}

function pinnedConnector(
  trust: TlsTrust,
  extra: { lookup?: ReturnType<typeof guardedLookup> },
): buildConnector.connector {
  const ca = trust.caPem ?? (trust.caFile ? readFileSync(trust.caFile, 'utf8') : undefined);
  // One secure context per client: given `ca` itself, every new connection parsed the CA bundle
  // again (~1% of a service's CPU in the onboarding bench). Without a bundle: the system's CAs.
  const context = ca ? { secureContext: createSecureContext({ ca }) } : {};
  if (!trust.pinSha256) return buildConnector({ ...context, rejectUnauthorized: !trust.insecure, ...extra });
  const pin = normalizeFingerprint(trust.pinSha256);
  // No TLS session reuse: a resumed session has no peer certificate to check the pin against.
  const base = buildConnector({
    ...context,
    rejectUnauthorized: !!ca && !trust.insecure,
    maxCachedSessions: 0,
    ...extra,
  });
  return (options, callback) =>
    base(options, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('no socket'), null);
      if (options.protocol !== 'https:') return callback(null, socket);
      const actual = normalizeFingerprint((socket as TLSSocket).getPeerCertificate().fingerprint256 ?? '');
      if (actual !== pin) {
        socket.destroy();
        return callback(
          new CertificatePinError(`server certificate fingerprint ${actual} does not match the pinned ${pin}`),
          null,
        );
      }
      callback(null, socket);
    });
}

export class CertificatePinError extends Error {
  override name = 'CertificatePinError';
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
