import { SetMetadata } from '@nestjs/common';

/** admin: everything; operator: read, retry, replay; viewer: read. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLES_KEY = 'tpo:roles';
export const PUBLIC_KEY = 'tpo:public';

/** The least role a route needs (higher roles include lower ones). Every mutating route must have one. */
export const RequireRole = (role: Role) => SetMetadata(ROLES_KEY, role);

/** No admin credentials (health, metrics, routes with their own guard). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export function roleSatisfies(granted: readonly Role[], required: Role): boolean {
  const need = ROLES.indexOf(required);
  return granted.some((r) => ROLES.indexOf(r) >= need);
}

/** Who is calling: from a verified JWT or an API key. `sites` limits what they may see (BOLA). */
export interface Principal {
  subject: string;
  roles: Role[];
  via: 'jwt' | 'api-key';
  /** Site ids this principal may act on; undefined = all sites. */
  sites?: string[];
  /** Extra permissions beyond the role, granted one by one (e.g. PERMISSION_TLS_VERIFICATION_OFF). */
  permissions?: string[];
}

/** Registering a site with TLS verification switched off: never implied by a role, always audited. */
export const PERMISSION_TLS_VERIFICATION_OFF = 'sites:tls-verification-off';

export function hasPermission(principal: Principal | undefined, permission: string): boolean {
  return !!principal?.permissions?.includes(permission);
}

export const PRINCIPAL_KEY = 'tpoPrincipal';
