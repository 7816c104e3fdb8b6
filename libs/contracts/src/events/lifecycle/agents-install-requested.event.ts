import { defineEvent } from '../../event-definition';
import { SvmConfiguredV1 } from '../onboarding/svm-configured.event';

/**
 * The install step for VMs added to a configured tenant: the same input agent-install-service gets
 * from SvmConfigured at onboarding (the tenant's vAS and applied settings), for the new VMs only.
 * Its envelope carries the add-vms operation id (`operationid`): the step runs once per operation,
 * and registration and activation follow for that operation.
 */
export class AgentsInstallRequestedV1 extends SvmConfiguredV1 {}

export const AgentsInstallRequested = defineEvent({
  name: 'AgentsInstallRequested',
  version: 1,
  payload: AgentsInstallRequestedV1,
  producers: ['tenant-service'],
  consumers: ['agent-install-service'],
  description:
    'Add-VMs: install the agents on the new VMs of a configured tenant (then registration and activation run for the operation).',
});
