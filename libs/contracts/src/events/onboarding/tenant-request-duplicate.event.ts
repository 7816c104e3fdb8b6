import { IsString, IsUUID, MaxLength } from 'class-validator';
import { defineEvent } from '../../event-definition';

export class TenantRequestDuplicateV1 {
  @IsString()
  @MaxLength(100)
  orderId!: string;

  @IsUUID()
  tenantId!: string;
}

export const TenantRequestDuplicate = defineEvent({
  name: 'TenantRequestDuplicate',
  version: 1,
  payload: TenantRequestDuplicateV1,
  producers: ['tenant-service'],
  consumers: [],
  description: 'An order id that already has a tenant arrived again (a new event id); no second onboarding.',
});
