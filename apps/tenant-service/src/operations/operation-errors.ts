import { DomainError } from '@tpo/platform';
import { TenantErrorCode } from '../tenants/tenant-errors';
import { OperationRecord } from './operation.repository';

/** One operation at a time per tenant: the refusal names the running one. */
export function inProgress(tenantId: string, running: OperationRecord): DomainError {
  return new DomainError(
    TenantErrorCode.OperationInProgress,
    `tenant ${tenantId} has a ${running.kind} operation running (${running.id}); one operation at a time`,
    {
      details: { runningOperationId: running.id, runningKind: running.kind },
    },
  );
}
