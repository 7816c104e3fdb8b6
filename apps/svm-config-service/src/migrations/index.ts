import { BackbonePingHops1764201700000 } from '@tpo/service-kit';

/** This service's migrations, in order (the shared messaging tables come first, from the kit). */
export const SERVICE_MIGRATIONS = [BackbonePingHops1764201700000];
