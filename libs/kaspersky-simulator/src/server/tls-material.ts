import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
  /** SHA-256 fingerprint (hex, colon-separated) for clients that pin. */
  fingerprint256: string;
}

/**
 * A self-signed certificate for the simulator's HTTPS listeners, valid for localhost and
 * 127.0.0.1 — like the installer-generated certificates of a real Integration Server and KSC.
 */
export async function selfSignedTls(hostnames: string[] = ['localhost']): Promise<TlsMaterial> {
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 1);
  const pems = await generate([{ name: 'commonName', value: 'kaspersky-simulator' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [...hostnames.map((value) => ({ type: 2 as const, value })), { type: 7 as const, ip: '127.0.0.1' }],
      },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private, fingerprint256: new X509Certificate(pems.cert).fingerprint256 };
}
