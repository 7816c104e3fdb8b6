import { BaseServiceEnv } from '@tpo/platform';

/** Environment of activation-service; validated at boot (a bad or missing variable stops the process). */
export class ActivationServiceEnv extends BaseServiceEnv {}
