/**
 * The only service calls the console forwards (least privilege: it cannot order tenants, reveal
 * passwords or register sites, whatever the caller's role). The services still authorise each call
 * with the caller's own token; the console adds nothing to it.
 */
interface ApiRoute {
  method: 'GET' | 'POST';
  /** Service name, or '*' for any configured service. */
  service: string;
  path: RegExp;
}

const UUID = '[0-9a-fA-F-]{36}';
const SITE = '[a-z0-9][a-z0-9-]{0,62}';

export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'GET', service: 'tenant-service', path: /^\/v1\/tenants$/ },
  { method: 'GET', service: 'tenant-service', path: new RegExp(`^/v1/tenants/${UUID}$`) },
  { method: 'POST', service: 'tenant-service', path: new RegExp(`^/v1/tenants/${UUID}/retry$`) },
  { method: 'GET', service: 'tenant-service', path: /^\/v1\/sites$/ },
  { method: 'POST', service: 'tenant-service', path: new RegExp(`^/v1/sites/${SITE}/preflight$`) },
  { method: 'GET', service: 'activation-service', path: /^\/v1\/activations\/license-usage$/ },
  { method: 'GET', service: 'agent-install-service', path: new RegExp(`^/v1/installs/${UUID}$`) },
  { method: 'GET', service: 'registration-service', path: new RegExp(`^/v1/registrations/${UUID}$`) },
  { method: 'GET', service: '*', path: /^\/v1\/dead-letters$/ },
  { method: 'POST', service: '*', path: new RegExp(`^/v1/dead-letters/${UUID}/replay$`) },
];

const QUERY_KEYS = new Set(['status', 'siteId', 'limit', 'offset']);

/** Whether the console forwards `method service path`; only known query keys pass. */
export function allowedCall(method: string, service: string, path: string, query: Record<string, unknown>): boolean {
  const route = API_ROUTES.find(
    (r) => r.method === method && (r.service === '*' || r.service === service) && r.path.test(path),
  );
  return route !== undefined && Object.keys(query).every((k) => QUERY_KEYS.has(k));
}
