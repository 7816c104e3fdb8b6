import { BackbonePingHops1764201700000 } from '@tpo/diagnostics';
import { TenantOnboarding1764400000000 } from './1764400000000-tenant-onboarding';
import { CreateIntent1764900100000 } from './1764900100000-create-intent';
import { Operations1765100000000 } from './1765100000000-operations';
import { SitePreflight1765200000000 } from './1765200000000-site-preflight';
import { TenantVms1765300000000 } from './1765300000000-tenant-vms';
import { TenantListIndexes1765400000000 } from './1765400000000-tenant-list-indexes';

/** This service's migrations, in order (the shared messaging and job tables come first, from the kit). */
export const SERVICE_MIGRATIONS = [
  BackbonePingHops1764201700000,
  TenantOnboarding1764400000000,
  CreateIntent1764900100000,
  Operations1765100000000,
  SitePreflight1765200000000,
  TenantVms1765300000000,
  TenantListIndexes1765400000000,
];
