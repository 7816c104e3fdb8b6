import { randomBytes } from 'node:crypto';
import { EnvelopeCipher, SecretDecryptionError } from './envelope-cipher';
import { generateAdminPassword } from './password-generator';

const key = () => randomBytes(32).toString('base64');

describe('EnvelopeCipher', () => {
  const cipher = EnvelopeCipher.fromConfig(`k1:${key()}`);

  it('S3: the sealed form is neither the plaintext nor its Base64, and opens back', () => {
    const secret = 'S3cure!Passw0rd';
    const sealed = cipher.seal(secret, 'tenant:1:admin');
    const stored = JSON.stringify(sealed);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(Buffer.from(secret).toString('base64'));
    expect(cipher.open(sealed, 'tenant:1:admin')).toBe(secret);
  });

  it('S3: does not open without the master key, with another key, or on another row', () => {
    const sealed = cipher.seal('x', 'tenant:1:admin');
    expect(() => EnvelopeCipher.fromConfig(`k1:${key()}`).open(sealed, 'tenant:1:admin')).toThrow(
      SecretDecryptionError,
    );
    expect(() => EnvelopeCipher.fromConfig(`k2:${key()}`).open(sealed, 'tenant:1:admin')).toThrow(/not configured/);
    expect(() => cipher.open(sealed, 'tenant:2:admin')).toThrow(SecretDecryptionError);
    expect(() =>
      cipher.open(
        { ...sealed, ciphertext: Buffer.from('tampered-tampered-tampered-tampered').toString('base64') },
        'tenant:1:admin',
      ),
    ).toThrow();
  });

  it('rewraps to a new master key without changing the ciphertext', () => {
    const k1 = key();
    const old = EnvelopeCipher.fromConfig(`k1:${k1}`);
    const sealed = old.seal('rotate me', 'aad');
    const both = EnvelopeCipher.fromConfig(`k1:${k1},k2:${key()}`);
    const rewrapped = both.rewrap(sealed, 'aad');
    expect(rewrapped.keyId).toBe('k2');
    expect(rewrapped.ciphertext).toBe(sealed.ciphertext);
    expect(both.open(rewrapped, 'aad')).toBe('rotate me');
  });

  it('refuses malformed key configuration', () => {
    expect(() => EnvelopeCipher.fromConfig('nokey')).toThrow(/key id/);
    expect(() => EnvelopeCipher.fromConfig(`k1:${randomBytes(16).toString('base64')}`)).toThrow(/32 bytes/);
  });
});

describe('generateAdminPassword', () => {
  it('has every character class, the right length and no repeats across calls', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generateAdminPassword();
      expect(p).toHaveLength(24);
      expect(p).toMatch(/[a-z]/);
      expect(p).toMatch(/[A-Z]/);
      expect(p).toMatch(/[0-9]/);
      expect(p).toMatch(/[^A-Za-z0-9]/);
      seen.add(p);
    }
    expect(seen.size).toBe(200);
  });
});
