import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Envelope encryption for secrets at rest (tenant admin passwords, site credentials): each secret
 * gets its own random data key (AES-256-GCM); the data key is wrapped by a master key (also
 * AES-256-GCM) identified by a key id, so that `rewrap` can move every secret to a new master key
 * without touching the data. `aad` binds a ciphertext to its owner (e.g. `tenant:<id>:admin`), so a
 * sealed value copied onto another row does not open.
 */
export interface SealedSecret {
  keyId: string;
  /** base64(iv | tag | encrypted data key) */
  wrappedKey: string;
  /** base64(iv | tag | ciphertext) */
  ciphertext: string;
}

export class SecretDecryptionError extends Error {
  override name = 'SecretDecryptionError';
}

function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
}

function gcmDecrypt(key: Buffer, sealed: string, aad: string): Buffer {
  const raw = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
}

export class EnvelopeCipher {
  constructor(
    private readonly masterKeys: ReadonlyMap<string, Buffer>,
    readonly activeKeyId: string,
  ) {
    if (!masterKeys.has(activeKeyId))
      throw new Error(`active master key "${activeKeyId}" is not among the configured keys`);
    for (const [id, key] of masterKeys)
      if (key.length !== 32) throw new Error(`master key "${id}" must be 32 bytes (base64 of 32 random bytes)`);
  }

  /**
   * Parses `SECRETS_MASTER_KEYS`: `id1:base64key,id2:base64key`. The active key is `active` or the
   * last one listed (append a new key, restart, run the rotate command, then drop the old key).
   */
  static fromConfig(keys: string, active?: string): EnvelopeCipher {
    const map = new Map<string, Buffer>();
    for (const part of keys
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const sep = part.indexOf(':');
      if (sep <= 0) throw new Error('SECRETS_MASTER_KEYS entries must look like <key id>:<base64 of 32 bytes>');
      map.set(part.slice(0, sep), Buffer.from(part.slice(sep + 1), 'base64'));
    }
    return new EnvelopeCipher(map, active ?? [...map.keys()].pop() ?? '');
  }

  seal(plaintext: string, aad: string): SealedSecret {
    const dataKey = randomBytes(32);
    try {
      return {
        keyId: this.activeKeyId,
        wrappedKey: gcmEncrypt(this.masterKeys.get(this.activeKeyId)!, dataKey, `${aad}|dek`),
        ciphertext: gcmEncrypt(dataKey, Buffer.from(plaintext, 'utf8'), aad),
      };
    } finally {
      dataKey.fill(0);
    }
  }

  open(sealed: SealedSecret, aad: string): string {
    const master = this.masterKeys.get(sealed.keyId);
    if (!master) throw new SecretDecryptionError(`master key "${sealed.keyId}" is not configured`);
    let dataKey: Buffer | undefined;
    try {
      dataKey = gcmDecrypt(master, sealed.wrappedKey, `${aad}|dek`);
      return gcmDecrypt(dataKey, sealed.ciphertext, aad).toString('utf8');
    } catch (e) {
      if (e instanceof SecretDecryptionError) throw e;
      throw new SecretDecryptionError('secret could not be decrypted (wrong key or tampered data)');
    } finally {
      dataKey?.fill(0);
    }
  }

  /** Re-wraps the data key with the active master key; the ciphertext itself is unchanged. */
  rewrap(sealed: SealedSecret, aad: string): SealedSecret {
    if (sealed.keyId === this.activeKeyId) return sealed;
    const master = this.masterKeys.get(sealed.keyId);
    if (!master) throw new SecretDecryptionError(`master key "${sealed.keyId}" is not configured`);
    const dataKey = gcmDecrypt(master, sealed.wrappedKey, `${aad}|dek`);
    try {
      return {
        keyId: this.activeKeyId,
        wrappedKey: gcmEncrypt(this.masterKeys.get(this.activeKeyId)!, dataKey, `${aad}|dek`),
        ciphertext: sealed.ciphertext,
      };
    } finally {
      dataKey.fill(0);
    }
  }
}
