import { HttpStatus } from '@nestjs/common';
import { DomainError, PlatformErrorCode } from '@tpo/platform';

/** Domain error codes of tenant-service, with their HTTP mapping (the one place that maps them). */
export enum TenantErrorCode {
  TenantNotFound = 'TENANT_NOT_FOUND',
  TenantNameTaken = 'TENANT_NAME_TAKEN',
  AdminAccountTaken = 'ADMIN_ACCOUNT_TAKEN',
  NoSiteCapacity = 'NO_SITE_CAPACITY',
  SiteUnknown = 'SITE_UNKNOWN',
  SiteExists = 'SITE_EXISTS',
  TenantNotFailed = 'TENANT_NOT_FAILED',
  TenantNotReady = 'TENANT_NOT_READY',
  CredentialsGone = 'CREDENTIALS_GONE',
  OperationNotFound = 'OPERATION_NOT_FOUND',
  OperationInProgress = 'OPERATION_IN_PROGRESS',
  OperationNotFailed = 'OPERATION_NOT_FAILED',
  TenantSuspended = 'TENANT_SUSPENDED',
  TenantDeprovisioned = 'TENANT_DEPROVISIONED',
  TenantNotActive = 'TENANT_NOT_ACTIVE',
  TenantNotSuspended = 'TENANT_NOT_SUSPENDED',
  VmAlreadyInTenant = 'VM_ALREADY_IN_TENANT',
  VmOwnedByAnotherTenant = 'VM_OWNED_BY_ANOTHER_TENANT',
  VmNotInTenant = 'VM_NOT_IN_TENANT',
}

export const TENANT_HTTP_STATUS: Record<TenantErrorCode, HttpStatus> = {
  [TenantErrorCode.TenantNotFound]: HttpStatus.NOT_FOUND,
  [TenantErrorCode.TenantNameTaken]: HttpStatus.CONFLICT,
  [TenantErrorCode.AdminAccountTaken]: HttpStatus.CONFLICT,
  [TenantErrorCode.NoSiteCapacity]: HttpStatus.CONFLICT,
  [TenantErrorCode.SiteUnknown]: HttpStatus.UNPROCESSABLE_ENTITY,
  [TenantErrorCode.SiteExists]: HttpStatus.CONFLICT,
  [TenantErrorCode.TenantNotFailed]: HttpStatus.CONFLICT,
  [TenantErrorCode.TenantNotReady]: HttpStatus.CONFLICT,
  [TenantErrorCode.CredentialsGone]: HttpStatus.GONE,
  [TenantErrorCode.OperationNotFound]: HttpStatus.NOT_FOUND,
  [TenantErrorCode.OperationInProgress]: HttpStatus.CONFLICT,
  [TenantErrorCode.OperationNotFailed]: HttpStatus.CONFLICT,
  [TenantErrorCode.TenantSuspended]: HttpStatus.CONFLICT,
  [TenantErrorCode.TenantDeprovisioned]: HttpStatus.CONFLICT,
  [TenantErrorCode.TenantNotActive]: HttpStatus.CONFLICT,
  [TenantErrorCode.TenantNotSuspended]: HttpStatus.CONFLICT,
  [TenantErrorCode.VmAlreadyInTenant]: HttpStatus.CONFLICT,
  [TenantErrorCode.VmOwnedByAnotherTenant]: HttpStatus.CONFLICT,
  [TenantErrorCode.VmNotInTenant]: HttpStatus.NOT_FOUND,
};

/**
 * The order id is already taken: raised by `TenantRepository.insert` when a concurrent intake of the
 * same order won the race on the unique order id. Not a failure: the caller answers with the winner.
 */
export class DuplicateOrderError extends Error {
  constructor(readonly orderId: string) {
    super(`order id ${orderId} is already recorded`);
    this.name = 'DuplicateOrderError';
  }
}

export const tenantNameTaken = (name: string): DomainError =>
  new DomainError(TenantErrorCode.TenantNameTaken, `a tenant named "${name}" already exists`);

export const adminAccountTaken = (account: string): DomainError =>
  new DomainError(
    TenantErrorCode.AdminAccountTaken,
    `admin account name "${account}" is already used by another tenant (names are unique across a KSC and its virtual servers)`,
  );

export const conflictingTenant = (): DomainError => new DomainError(PlatformErrorCode.Conflict, 'conflicting tenant');
