import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { SITE_ID_PATTERN } from '../../onboarding/naming-rules';

/** Kinds of tenant operations (issue 10): every change to a tenant is one of these. */
export const OPERATION_KINDS = ['onboard', 'add-vms', 'remove-vms', 'suspend', 'resume', 'deprovision'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** A tenant's lifecycle status, apart from the progress of any operation on it. */
export const TENANT_LIFECYCLES = [
  'onboarding',
  'active',
  'suspended',
  'deprovisioning',
  'deprovisioned',
  'failed',
] as const;
export type TenantLifecycle = (typeof TENANT_LIFECYCLES)[number];

/** What an order system sends to change a tenant after day one. */
export class LifecycleRequestBase {
  @IsUUID()
  tenantId!: string;

  /** The order system's id of this request: a repeated request is the same operation. */
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[A-Za-z0-9._:-]+$/)
  requestId!: string;

  /** Why (e.g. "unpaid invoice 2026-11"); recorded with the operation and the tenant's status. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  /** Who asked, as the order system names it (recorded with the operation). */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  requester?: string;
}

/** Fields every operation outcome event carries. */
export class OperationOutcomeBase {
  @IsUUID()
  tenantId!: string;

  @Matches(SITE_ID_PATTERN)
  siteId!: string;

  @IsUUID()
  operationId!: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  requestId?: string;
}

export class OperationKindRef {
  @IsIn(OPERATION_KINDS)
  kind!: OperationKind;
}
