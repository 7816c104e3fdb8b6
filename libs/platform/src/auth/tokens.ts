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

/** Verifies bearer JWTs (HS256 with a secret, or RS256/ES256 with a public key) and hashed API keys. */
export class CredentialVerifier {
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
      return { subject: String(payload.sub), roles, via: 'jwt', sites, permissions };
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
