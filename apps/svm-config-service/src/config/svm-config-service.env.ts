import { StepServiceEnv } from '@tpo/site-directory';

/** Environment of svm-config-service; validated at boot (a bad or missing variable stops the process). */
export class SvmConfigServiceEnv extends StepServiceEnv {}
