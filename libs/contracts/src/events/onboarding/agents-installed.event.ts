import { IsString, MaxLength } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { VmOutcome } from './step-common';

/** Step 4 done: VMs with Network Agent + Light Agent in the tenant's vAS; per-VM failures listed. */
export class AgentsInstalledV1 extends VmOutcome {
  @IsString()
  @MaxLength(200)
  virtualServerName!: string;
}

export const AgentsInstalled = defineEvent({
  name: 'AgentsInstalled',
  version: 1,
  payload: AgentsInstalledV1,
  producers: ['agent-install-service'],
  consumers: ['registration-service', 'tenant-service'],
  description:
    'Step 4 completed for at least one VM: `succeeded` VMs are in the vAS with agents; `failed` VMs with code and reason.',
});
