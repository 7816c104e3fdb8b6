import { BaseServiceEnv } from '@tpo/platform';

/** Environment of agent-install-service; validated at boot (a bad or missing variable stops the process). */
export class AgentInstallServiceEnv extends BaseServiceEnv {}
