import type { IncomingMessage } from 'node:http';
import { Site } from '../site/site';
import { parseKscBasic, parseVServerHeader } from './ksc-auth';
import { MAIN_SERVER } from './ksc-model';
import { KscProtocol } from './ksc-protocol';
import { SimSession } from './ksc-sessions';

/**
 * Authenticates Session.StartSession and /api/v1.0/login (ksc-openapi.md §2): KSCBasic credentials
 * plus the optional X-KSC-VServer selecting the vAS. The provider account may enter any vAS; an
 * internal user only the server it was created on. Undefined = 401.
 */
export function authenticateLogin(
  site: Site,
  protocol: KscProtocol,
  req: IncomingMessage,
  style: SimSession['style'],
): SimSession | undefined {
  const creds = parseKscBasic(req.headers.authorization);
  if (!creds) return undefined;
  // ASSUMPTION (ksc-openapi.md §2.1): internal="0" (domain accounts) is checked against the same
  // account list; the simulator has no directory, so the domain is not used.
  let vsId = MAIN_SERVER;
  const vsName = parseVServerHeader(req.headers['x-ksc-vserver']);
  if (vsName !== undefined) {
    const vs = site.ksc.findVServerByDn(vsName);
    // ASSUMPTION (ksc-openapi.md §2.4 / Q3): a decodable name of no existing vAS fails the login.
    if (!vs && site.assumptions.kscUnknownVServerLogin === 'reject') return undefined;
    vsId = vs ? vs.id : MAIN_SERVER;
  }
  const who = site.ksc.authenticate(creds.user, creds.password, vsId);
  if (!who) return undefined;
  return protocol.sessions.start(who === 'provider' ? 'provider' : who.id, creds.user, vsId, style);
}
