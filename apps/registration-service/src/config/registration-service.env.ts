import { StepServiceEnv } from '@tpo/site-directory';

/** Environment of registration-service; validated at boot (a bad or missing variable stops the process). */
export class RegistrationServiceEnv extends StepServiceEnv {}
