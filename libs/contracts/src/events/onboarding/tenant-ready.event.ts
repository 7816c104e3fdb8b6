import { Type } from 'class-transformer';
import { IsInt, IsString, MaxLength, ValidateNested } from 'class-validator';
import { defineEvent } from '../../event-definition';
import { TenantStepBase } from './onboarding-common';

export class AdministrationServerAddress {
  @IsString()
  @MaxLength(300)
  address!: string;

  @IsInt()
  port!: number;

  @IsString()
  @MaxLength(200)
  virtualServerName!: string;

  /** `<KSC address>/<vAS name>`: the Network Agent / console form (ksc-openapi.md §5 phase E). */
  @IsString()
  @MaxLength(600)
  connectionString!: string;
}

/** Handover: everything the tenant admin needs except the password (revealed once over REST). */
export class TenantReadyV1 extends TenantStepBase {
  @IsString()
  @MaxLength(100)
  orderId!: string;

  @ValidateNested()
  @Type(() => AdministrationServerAddress)
  administrationServer!: AdministrationServerAddress;

  @IsString()
  @MaxLength(64)
  adminAccountName!: string;
}

export const TenantReady = defineEvent({
  name: 'TenantReady',
  version: 1,
  payload: TenantReadyV1,
  producers: ['tenant-service'],
  consumers: [],
  description:
    'Onboarding finished: vAS address and admin account name (no secret). The password is revealed once over REST.',
});
