import { createHash, timingSafeEqual } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { Principal, Role, ROLES } from './roles';

export interface AuthSettings {
  jwtSecret?: string;
  jwtPublicKeyPem?: string;
  issuer: string;
  audience: string;
  /** `name:role:sha256hex` entries; keys themselves are never configured or stored. */
  apiKeys?: string;
  /** Longest accepted lifetime (exp - iat) of a bearer token; default 12 hours. */
  maxTokenLifetimeSeconds?: number;
}

export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Most verified tokens remembered at once (the oldest go first). */
const VERIFIED_TOKENS_MAX = 10_000;

/**
 * Verifies bearer JWTs (HS256 with a secret, or RS256/ES256 with a public key) and hashed API keys.
 *
 * A token that verified is remembered, keyed by its SHA-256, until it stops being acceptable (its
 * `exp`, or `iat` + the maximum lifetime, whichever is first): the same bearer token on the next
 * request is the same bytes, so the signature, claims and lifetime checks would give the same answer
 * until then. Every request is still authenticated; only the repeated signature work is skipped.
 * Failures are never remembered.
 */
export class CredentialVerifier {
  private readonly verified = new Map<string, { principal: Principal; validUntilMs: number }>();
  private readonly key?: KeyObject;
  private readonly algorithms: string[];
  private readonly apiKeys: { name: string; role: Role; hash: Buffer }[];
  private readonly maxLifetime: number;

  constructor(private readonly settings: AuthSettings) {
    this.maxLifetime = settings.maxTokenLifetimeSeconds ?? 12 * 3600;
    if (settings.jwtPublicKeyPem) {
      this.key = createPublicKey(settings.jwtPublicKeyPem);
      this.algorithms = ['RS256', 'ES256'];
    } else if (settings.jwtSecret) {
      this.key = createSecretKey(Buffer.from(settings.jwtSecret, 'utf8'));
      this.algorithms = ['HS256'];
    } else {
      this.algorithms = [];
    }
    this.apiKeys = (settings.apiKeys ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)
      .map((entry) => {
        const [name, role, hash] = entry.split(':');
        if (!name || !ROLES.includes(role as Role) || !/^[0-9a-f]{64}$/.test(hash ?? ''))
          throw new Error('AUTH_API_KEYS entries must be <name>:<viewer|operator|admin>:<sha256 hex of the key>');
        return { name, role: role as Role, hash: Buffer.from(hash, 'hex') };
      });
  }

  async verifyJwt(token: string): Promise<Principal> {
    if (!this.key) throw new AuthError(401, 'bearer tokens are not accepted by this service');
    const digest = sha256Hex(token);
    const known = this.verified.get(digest);
    if (known) {
      if (Date.now() < known.validUntilMs) return { ...known.principal };
      this.verified.delete(digest);
    }
    const { principal, validUntilMs } = await this.verifyJwtSignature(token);
    if (this.verified.size >= VERIFIED_TOKENS_MAX) this.forgetOldest();
    this.verified.set(digest, { principal, validUntilMs });
    return { ...principal };
  }

  /** Drops expired entries; if none was expired, the oldest tenth (insertion order). */
  private forgetOldest(): void {
    const now = Date.now();
    for (const [k, v] of this.verified) if (v.validUntilMs <= now) this.verified.delete(k);
    if (this.verified.size < VERIFIED_TOKENS_MAX) return;
    let drop = Math.ceil(VERIFIED_TOKENS_MAX / 10);
    for (const k of this.verified.keys()) {
      if (drop-- <= 0) break;
      this.verified.delete(k);
    }
  }

  private async verifyJwtSignature(token: string): Promise<{ principal: Principal; validUntilMs: number }> {
    if (!this.key) throw new AuthError(401, 'bearer tokens are not accepted by this service');
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: this.algorithms,
        requiredClaims: ['exp', 'iat', 'sub'],
        // `maxTokenAge` checks iat against now; the lifetime itself (exp - iat) is checked below.
        maxTokenAge: this.maxLifetime,
      });
      if ((payload.exp ?? 0) - (payload.iat ?? 0) > this.maxLifetime)
        throw new AuthError(401, 'token lifetime exceeds the maximum');
      const roles = (Array.isArray(payload.roles) ? payload.roles : []).filter((r): r is Role =>
        ROLES.includes(r as Role),
      );
      const sites = Array.isArray(payload.sites)
        ? payload.sites.filter((s): s is string => typeof s === 'string')
        : undefined;
      const permissions = Array.isArray(payload.permissions)
        ? payload.permissions.filter((p): p is string => typeof p === 'string')
        : undefined;
      const principal: Principal = Object.freeze({
        subject: String(payload.sub),
        roles: Object.freeze(roles) as Role[],
        via: 'jwt' as const,
        sites: sites && (Object.freeze(sites) as string[]),
        permissions: permissions && (Object.freeze(permissions) as string[]),
      });
      // Acceptable until exp and until iat + the maximum lifetime (maxTokenAge), whichever is first.
      const validUntilMs = Math.min((payload.exp ?? 0) * 1000, ((payload.iat ?? 0) + this.maxLifetime) * 1000);
      return { principal, validUntilMs };
    } catch (e) {
      if (e instanceof AuthError) throw e;
      throw new AuthError(401, 'invalid or expired token');
    }
  }

  verifyApiKey(key: string): Principal {
    const hash = Buffer.from(sha256Hex(key), 'hex');
    const match = this.apiKeys.find((k) => k.hash.length === hash.length && timingSafeEqual(k.hash, hash));
    if (!match) throw new AuthError(401, 'invalid API key');
    return { subject: `api-key:${match.name}`, roles: [match.role], via: 'api-key' };
  }
}

/** Mints a token for local use (demo, tests, `npm run token`): HS256 with the shared secret. */
export async function mintToken(
  secret: string,
  claims: {
    subject: string;
    roles: Role[];
    sites?: string[];
    permissions?: string[];
    ttlSeconds?: number;
    issuer?: string;
    audience?: string;
  },
): Promise<string> {
  return new SignJWT({
    roles: claims.roles,
    ...(claims.sites ? { sites: claims.sites } : {}),
    ...(claims.permissions ? { permissions: claims.permissions } : {}),
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.subject)
    .setIssuer(claims.issuer ?? 'tpo')
    .setAudience(claims.audience ?? 'tpo-admin')
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`)
    .sign(createSecretKey(Buffer.from(secret, 'utf8')));
}
