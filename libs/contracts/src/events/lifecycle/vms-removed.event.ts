import { defineEvent } from '../../event-definition';
import { VmsChangedBase } from './vms-changed-common';

export class VmsRemovedV1 extends VmsChangedBase {}

export const VmsRemoved = defineEvent({
  name: 'VmsRemoved',
  version: 1,
  payload: VmsRemovedV1,
  producers: ['tenant-service'],
  consumers: ['activation-service'],
  description:
    'A remove-vms operation ended: VMs unregistered from the Integration Server (per-VM results); activation-service releases their license count.',
});
