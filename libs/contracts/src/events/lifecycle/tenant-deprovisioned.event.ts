import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { OperationOutcomeBase } from './lifecycle-common';

export class TenantDeprovisionedV1 extends OperationOutcomeBase {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  integrationServerTenantId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  virtualServerId?: string;

  /** VM records removed from the Integration Server by this deprovision. */
  @IsInt()
  @Min(0)
  unregisteredVms!: number;
}

export const TenantDeprovisioned = defineEvent({
  name: 'TenantDeprovisioned',
  version: 1,
  payload: TenantDeprovisionedV1,
  producers: ['tenant-service'],
  consumers: ['activation-service'],
  description:
    'The tenant is gone from its site: VMs unregistered, tenant deactivated and deleted with its artifacts, virtual server deleted, secrets crypto-shredded, capacity freed. activation-service releases its license count. The record stays as history.',
});
