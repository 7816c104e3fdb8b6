import { Inject, Injectable } from '@nestjs/common';
import { AgentsInstalledV1, VmFailure, VmRef, VmsRegistered } from '@tpo/contracts';
import { IntegrationServerClient, IntegrationServerError } from '@tpo/integration-server-client';
import { OutboxWriter } from '@tpo/messaging';
import { LOGGER } from '@tpo/platform';
import {
  CoalescingWriter,
  OnboardingStepJob,
  StepJobScope,
  StepResult,
  StepWork,
  StepWorkRepository,
  VmChange,
} from '@tpo/steps';
import { KasperskyClients } from '@tpo/site-directory';
import { classifyVendorError } from '@tpo/vendor-failures';
import type { Logger } from 'pino';

/** Registrations in flight at once per tenant (one VM per call, as the vendor API requires). */
const PARALLEL = 16;

/**
 * Step 5: register each installed VM's BIOS id with the Integration Server. A 409 for a VM already
 * registered to this tenant counts as done; registered to another tenant, it is a per-VM error.
 */
@Injectable()
export class RegisterVmsJob extends OnboardingStepJob<AgentsInstalledV1> {
  readonly step = 'register-vms' as const;
  protected override readonly startsWithVms = true;

  constructor(
    steps: StepWorkRepository,
    outbox: OutboxWriter,
    @Inject(LOGGER) logger: Logger,
    private readonly clients: KasperskyClients,
  ) {
    super({ steps, outbox, logger, classify: classifyVendorError });
  }

  protected async execute(
    work: StepWork<AgentsInstalledV1>,
    _signal: AbortSignal,
    job: StepJobScope,
  ): Promise<StepResult> {
    const { client } = await this.clients.integrationServer(work.siteId);
    const isTenantId = work.input.integrationServerTenantId;
    const vms = work.vms ?? (await this.base.steps.vms(work.tenantId, this.step));
    const todo = vms.filter((v) => v.status !== 'succeeded');
    let tenantVms: Set<string> | undefined;
    const ownedByTenant = async (biosUuid: string) => {
      tenantVms ??= new Set((await client.listTenantVms(isTenantId)).map((v) => v.biosId.toLowerCase()));
      return tenantVms.has(biosUuid.toLowerCase());
    };
    // Each outcome is stored before its worker takes another VM; outcomes that arrive while one is
    // being written go together in the next fenced statement (group commit), not one each. A
    // worker's last outcome commits with the step's end (alsoWrite), so a tenant of up to PARALLEL
    // VMs writes its outcomes once. When a registration throws, the workers take no further VM and
    // what they finished is stored before the error goes to the job runner: a retry registers only
    // what is left. A crash loses only unstored outcomes, which a re-run finds again (409 for a VM
    // already registered to this tenant counts as done).
    const byBios = new Map(vms.map((v) => [v.biosUuid, v]));
    const store = new CoalescingWriter<VmChange>((changes) =>
      this.base.steps.setVms(work.tenantId, this.step, changes, job.write),
    );
    const last: VmChange[] = [];
    let next = 0;
    let stopped = false;
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(PARALLEL, todo.length) }, async () => {
        try {
          while (!stopped && next < todo.length) {
            const vm = todo[next++];
            const outcome = await this.register(client, isTenantId, vm, ownedByTenant);
            const change = { biosUuid: vm.biosUuid, ...outcome };
            if (!stopped && next < todo.length) await store.write(change);
            else last.push(change);
            Object.assign(byBios.get(vm.biosUuid)!, {
              status: outcome.status,
              errorCode: outcome.errorCode ?? null,
              errorMessage: outcome.errorMessage ?? null,
            });
          }
        } catch (e) {
          stopped = true;
          throw e;
        }
      }),
    );
    const error = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (error) {
      // Fenced like every progress write: after a lost lease it writes nothing and throws LeaseLostError.
      await this.base.steps.setVms(work.tenantId, this.step, last, job.write);
      throw error.reason;
    }
    // The rows as stored: read at the start (earlier tries' outcomes) plus what this try wrote.
    const after = [...byBios.values()];
    const succeeded: VmRef[] = after
      .filter((v) => v.status === 'succeeded')
      .map((v) => ({ biosUuid: v.biosUuid, name: v.name }));
    const failed: VmFailure[] = after
      .filter((v) => v.status === 'failed')
      .map((v) => ({
        biosUuid: v.biosUuid,
        name: v.name,
        code: v.errorCode ?? 'UNKNOWN',
        message: (v.errorMessage ?? '').slice(0, 1000),
      }));
    const output = { registered: succeeded.length, failed: failed.length };
    const alsoWrite = last.length > 0 ? [this.base.steps.setVmsStatement(work.tenantId, this.step, last)] : [];
    if (succeeded.length === 0) {
      return {
        ok: false,
        code: 'NO_VM_REGISTERED',
        message: `none of the ${after.length} VMs could be registered`,
        retryable: true,
        output,
        alsoWrite,
      };
    }
    return {
      ok: true,
      output,
      alsoWrite,
      event: {
        definition: VmsRegistered,
        payload: {
          tenantId: work.tenantId,
          siteId: work.siteId,
          integrationServerTenantId: isTenantId,
          succeeded,
          failed,
        },
      },
    };
  }

  private async register(
    client: IntegrationServerClient,
    isTenantId: string,
    vm: { biosUuid: string; name: string },
    ownedByTenant: (bios: string) => Promise<boolean>,
  ): Promise<{ status: 'succeeded' | 'failed'; detail?: object; errorCode?: string; errorMessage?: string }> {
    try {
      const stored = await client.registerVm(isTenantId, { biosId: vm.biosUuid, name: vm.name });
      return { status: 'succeeded', detail: { integrationServerVmId: stored.id } };
    } catch (e) {
      const c = classifyVendorError(e);
      // Transient, or a refusal that concerns the whole site (credentials): the step decides, not this VM.
      if (c.kind === 'transient' || c.code === 'IS_AUTH_REFUSED') throw e;
      if (e instanceof IntegrationServerError && e.status === 409) {
        if (await ownedByTenant(vm.biosUuid)) return { status: 'succeeded', detail: { alreadyRegistered: true } };
        return {
          status: 'failed',
          errorCode: 'VM_REGISTERED_TO_ANOTHER_TENANT',
          errorMessage: `BIOS id ${vm.biosUuid} is registered to another tenant on this Integration Server`,
        };
      }
      return { status: 'failed', errorCode: c.code, errorMessage: c.message };
    }
  }
}
