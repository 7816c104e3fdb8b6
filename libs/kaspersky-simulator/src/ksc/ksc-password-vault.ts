import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// Real blobs are DPAPI structures starting with version 1 (01 00 00 00); the prefix keeps that look.
const HEADER = Buffer.from([0x01, 0x00, 0x00, 0x00]);

/**
 * DataProtectionApi.ProtectUtf16StringGlobally stand-in: AES-256-GCM with a key that lives only in
 * this simulated server, so a blob it produced can be turned back into the password by AddUser.
 */
export class KscPasswordVault {
  private readonly key = randomBytes(32);

  protect(plain: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(Buffer.from(plain, 'utf16le')), cipher.final()]);
    return Buffer.concat([HEADER, iv, cipher.getAuthTag(), body]);
  }

  /** The plaintext, or undefined when the blob was not produced by this server. */
  unprotect(blob: Buffer): string | undefined {
    if (blob.length < HEADER.length + 28 || !blob.subarray(0, 4).equals(HEADER)) return undefined;
    try {
      const iv = blob.subarray(4, 16);
      const tag = blob.subarray(16, 32);
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(blob.subarray(32)), decipher.final()]).toString('utf16le');
    } catch {
      return undefined;
    }
  }
}
