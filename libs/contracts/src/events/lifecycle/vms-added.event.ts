import { defineEvent } from '../../event-definition';
import { VmsChangedBase } from './vms-changed-common';

export class VmsAddedV1 extends VmsChangedBase {}

export const VmsAdded = defineEvent({
  name: 'VmsAdded',
  version: 1,
  payload: VmsAddedV1,
  producers: ['tenant-service'],
  consumers: [],
  description:
    'An add-vms operation ended: the VMs protected now (installed, registered, activated) and those that failed, with code and reason.',
});
