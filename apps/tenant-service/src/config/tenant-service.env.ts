import { BaseServiceEnv } from '@tpo/platform';

/** Environment of tenant-service; validated at boot (a bad or missing variable stops the process). */
export class TenantServiceEnv extends BaseServiceEnv {}
