import { Injectable } from '@nestjs/common';
import { AgentsInstallRequested, AppliedSvmConfig, VmFailure, VmRef, VmsAdded, VmSpec } from '@tpo/contracts';
import { OutboxWriter } from '@tpo/messaging';
import { DomainError } from '@tpo/platform';
import { TenantRecord, TenantRepository } from '../../tenants/tenant.repository';
import { OperationRecord, OperationRepository, OperationStepRecord } from '../operation.repository';
import { TenantVmRepository } from '../tenant-vm.repository';
import { OperationKindHandler, OperationStep } from './operation-kind';

/** The step services' steps an add-vms operation runs through, in order (their events carry the operation id). */
export const ADD_VMS_PIPELINE = ['install-agents', 'register-vms', 'activate'] as const;

/**
 * Add VMs to an active tenant: the onboarding's install, move and register steps (and the
 * activation's live license check) for the new VMs only. tenant-service asks agent-install-service
 * with AgentsInstallRequested (the tenant's vAS and applied settings, the new VMs) under the
 * operation's id; each step service runs its step once for this operation; the operation ends
 * with the pipeline's TenantActivated (or a step failure) for it.
 */
@Injectable()
export class AddVmsKind implements OperationKindHandler {
  readonly kind = 'add-vms' as const;
  readonly handsOff = true;
  readonly steps: readonly OperationStep[];

  constructor(
    private readonly tenants: TenantRepository,
    private readonly operations: OperationRepository,
    private readonly vms: TenantVmRepository,
    private readonly outbox: OutboxWriter,
  ) {
    this.steps = [
      {
        name: 'request-install',
        run: async (ctx) => {
          if (ctx.detail.requestedAt) return { detail: {} }; // the request committed with its marker: never twice
          const t = ctx.tenant;
          const applied = (await this.tenants.step(t.id, 'configure-svm'))?.details?.applied as
            AppliedSvmConfig | undefined;
          if (!applied || !t.isTenantId || !t.virtualServerId || !t.virtualServerName) {
            throw new DomainError(
              'TENANT_NOT_CONFIGURED',
              `tenant ${t.id} has no recorded virtual server or applied settings to install new VMs with`,
            );
          }
          const vms = (ctx.op.scope?.vms ?? []) as VmSpec[];
          await ctx.write(async () => {
            await this.outbox.emit(
              AgentsInstallRequested,
              {
                tenantId: t.id,
                siteId: t.siteId,
                integrationServerTenantId: t.isTenantId!,
                virtualServerId: t.virtualServerId!,
                virtualServerName: t.virtualServerName!,
                vms,
                applied,
              },
              { tenantId: t.id, operationId: ctx.op.id },
            );
            await this.operations.mergeStepDetail(ctx.op.id, 'request-install', {
              requestedAt: new Date().toISOString(),
            });
          });
          return { detail: { vms: vms.length } };
        },
      },
    ];
  }

  /** Ends the operation from the pipeline's last event: per-VM results, inventory, VmsAdded. */
  async complete(
    op: OperationRecord,
    tenant: TenantRecord,
    steps: OperationStepRecord[],
  ): Promise<Record<string, unknown>> {
    const scope = (op.scope?.vms ?? []) as VmSpec[];
    const installFailed =
      (steps.find((s) => s.step === 'install-agents')?.detail.failed as VmFailure[] | undefined) ?? [];
    const register = steps.find((s) => s.step === 'register-vms')?.detail;
    const registered = (register?.registered as VmRef[] | undefined) ?? [];
    const failed: VmFailure[] = [...installFailed, ...((register?.failed as VmFailure[] | undefined) ?? [])];
    const ok = new Set(registered.map((v) => v.biosUuid.toLowerCase()));
    const notOk = scope.filter((v) => !ok.has(v.biosUuid.toLowerCase()));
    for (const v of notOk) {
      if (!failed.some((f) => f.biosUuid.toLowerCase() === v.biosUuid.toLowerCase()))
        failed.push({
          biosUuid: v.biosUuid,
          name: v.name,
          code: 'NOT_REGISTERED',
          message: 'the VM did not reach registration',
        });
    }
    await this.vms.setState(tenant.id, [...ok], 'active', op.id);
    await this.vms.setState(
      tenant.id,
      notOk.map((v) => v.biosUuid),
      'failed',
      op.id,
    );
    const succeeded = scope
      .filter((v) => ok.has(v.biosUuid.toLowerCase()))
      .map((v) => ({ biosUuid: v.biosUuid, name: v.name }));
    await this.outbox.emit(
      VmsAdded,
      {
        tenantId: tenant.id,
        siteId: tenant.siteId,
        operationId: op.id,
        requestId: op.requestId ?? undefined,
        succeeded,
        failed,
      },
      { tenantId: tenant.id },
    );
    return { added: succeeded, failed };
  }
}
