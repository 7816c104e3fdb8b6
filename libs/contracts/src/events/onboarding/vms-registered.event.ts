import { defineEvent } from '../../event-definition';
import { VmOutcome } from './step-common';

/** Step 5 done: installed VMs' BIOS ids registered with the Integration Server. */
export class VmsRegisteredV1 extends VmOutcome {}

export const VmsRegistered = defineEvent({
  name: 'VmsRegistered',
  version: 1,
  payload: VmsRegisteredV1,
  producers: ['registration-service'],
  consumers: ['activation-service', 'tenant-service'],
  description: 'Step 5 completed: `succeeded` VMs registered (or already registered to this tenant); `failed` per VM.',
});
