import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { MAX_VMS_PER_TENANT, OperationKind, VmSpec } from '@tpo/contracts';

/** The lifecycle operations a caller may request (onboarding has its own intake). */
export const REQUESTABLE_KINDS = [
  'suspend',
  'resume',
  'deprovision',
  'add-vms',
  'remove-vms',
] as const satisfies readonly OperationKind[];
export type RequestableKind = (typeof REQUESTABLE_KINDS)[number];

/** Validated input of RequestOperationUseCase, whoever calls it (REST or an order system's event). */
export class RequestOperationCommand {
  @IsUUID()
  tenantId!: string;

  @IsIn(REQUESTABLE_KINDS)
  kind!: RequestableKind;

  /** `user:<subject>` for REST callers, `order-system:<source>` for events. */
  @IsString()
  @MaxLength(200)
  requester!: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[A-Za-z0-9._:-]+$/)
  requestId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  correlationId?: string;

  /** add-vms: the new VMs. */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VMS_PER_TENANT)
  @ValidateNested({ each: true })
  @Type(() => VmSpec)
  vms?: VmSpec[];

  /** remove-vms: the tenant's VMs to remove. */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VMS_PER_TENANT)
  @IsUUID('all', { each: true })
  biosUuids?: string[];
}

/** REST body of add-vms. */
export class AddVmsBody {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VMS_PER_TENANT)
  @ValidateNested({ each: true })
  @Type(() => VmSpec)
  vms!: VmSpec[];

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[A-Za-z0-9._:-]+$/)
  requestId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

/** REST body of remove-vms. */
export class RemoveVmsBody {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VMS_PER_TENANT)
  @IsUUID('all', { each: true })
  biosUuids!: string[];

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[A-Za-z0-9._:-]+$/)
  requestId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

/** REST body of suspend / resume / deprovision. */
export class LifecycleRequestBody {
  /** Recorded with the operation and the tenant's status (e.g. "unpaid invoice 2026-11"). */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  /** Idempotency key: the same request id for the same tenant and kind is the same operation. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[A-Za-z0-9._:-]+$/)
  requestId?: string;
}
