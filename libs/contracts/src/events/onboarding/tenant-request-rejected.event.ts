import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { defineEvent } from '../../event-definition';

export class RejectionReason {
  /** Field path, e.g. `vms.3.biosUuid`; empty for whole-order reasons (no capacity). */
  @IsString()
  @MaxLength(200)
  path!: string;

  @IsString()
  @MaxLength(1000)
  message!: string;
}

export class TenantRequestRejectedV1 {
  /** As received (may itself be the invalid field), truncated. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  orderId?: string;

  @IsString()
  @MaxLength(100)
  code!: string;

  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => RejectionReason)
  reasons!: RejectionReason[];
}

export const TenantRequestRejected = defineEvent({
  name: 'TenantRequestRejected',
  version: 1,
  payload: TenantRequestRejectedV1,
  producers: ['tenant-service'],
  consumers: [],
  description:
    'An order was refused at intake (invalid fields with their paths, name taken, or no site with capacity). Nothing was created.',
});
