import { createHmac, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

/** Audience of the internal site-connection API (tenant-service's site registry). */
export const SITE_DIRECTORY_AUDIENCE = 'tpo-site-directory';
/** Longest lifetime accepted for a service token; callers mint 60-second tokens. */
export const SERVICE_TOKEN_MAX_LIFETIME_SECONDS = 120;

/**
 * The signing key of one service for the internal API, derived from tenant-service's master secret
 * (`INTERNAL_API_TOKEN`): each service is given only its own key (`INTERNAL_API_KEY`), so one
 * compromised service cannot mint tokens in another's name.
 */
export function serviceKeyOf(master: string, service: string): string {
  return createHmac('sha256', master).update(`tpo-internal-api:${service}`).digest('base64url');
}

/** A short-lived token naming the calling service (header `kid` and `sub`), HS256 with its own key. */
export function mintServiceToken(service: string, key: string, ttlSeconds = 60): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', kid: service })
    .setSubject(service)
    .setAudience(SITE_DIRECTORY_AUDIENCE)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(Buffer.from(key, 'utf8'));
}

export class ServiceTokenError extends Error {
  override name = 'ServiceTokenError';
}

/** Verifies a service token; returns the calling service. `keyFor` answers undefined for unknown services. */
export async function verifyServiceToken(
  token: string,
  keyFor: (service: string) => string | undefined,
): Promise<string> {
  try {
    const { payload, protectedHeader } = await jwtVerify(
      token,
      async (header) => {
        const key = typeof header.kid === 'string' ? keyFor(header.kid) : undefined;
        if (!key) throw new ServiceTokenError('unknown service');
        return Buffer.from(key, 'utf8');
      },
      {
        audience: SITE_DIRECTORY_AUDIENCE,
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        maxTokenAge: SERVICE_TOKEN_MAX_LIFETIME_SECONDS,
      },
    );
    if (payload.sub !== protectedHeader.kid) throw new ServiceTokenError('subject does not match the key id');
    if ((payload.exp ?? 0) - (payload.iat ?? 0) > SERVICE_TOKEN_MAX_LIFETIME_SECONDS)
      throw new ServiceTokenError('token lifetime too long');
    return payload.sub as string;
  } catch (e) {
    throw e instanceof ServiceTokenError ? e : new ServiceTokenError('invalid or expired service token');
  }
}

/** Loopback peers and hosts: the only place plain HTTP is accepted for the internal API (local development). */
export function isLoopback(hostOrAddress: string | undefined): boolean {
  if (!hostOrAddress) return false;
  const h = hostOrAddress.replace(/^\[|\]$/g, '').replace(/^::ffff:/, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
