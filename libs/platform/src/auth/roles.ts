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
}

export const PRINCIPAL_KEY = 'tpoPrincipal';
