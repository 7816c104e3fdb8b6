import { Inject, Injectable } from '@nestjs/common';
import { SvmConfigured, TenantCreatedV1 } from '@tpo/contracts';
import { HostGroupApi, KscSession, PolicyApi, VServersApi } from '@tpo/ksc-client';
import { OutboxWriter } from '@tpo/messaging';
import { LOGGER, OnboardingStepJob, StepResult, StepWork, StepWorkRepository } from '@tpo/service-kit';
import { KasperskyClients } from '@tpo/site-directory';
import { classifyVendorError } from '@tpo/vendor-failures';
import type { Logger } from 'pino';
import { ensureGroupPath, ensurePolicy, vserverName } from './ksc-policies';
import { MULTITENANCY_FOLDER, planSvmConfig, SvmConfigPlan } from './svm-policy-settings';

export const CONFIGURE_SVM_STEP = 'configure-svm' as const;

/** What the step records per tenant (step_work.output) and serves at GET /v1/svm-configs/:tenantId. */
export interface SvmConfigOutput {
  virtualServerId: string;
  virtualServerName: string;
  tenantFolderGroupId: number;
  lightAgentPolicyId: number;
  svmGroupId: number;
  protectionServerPolicyId: number;
  changes: { lightAgentPolicy: string; protectionServerPolicy: string };
  applied: SvmConfigPlan['applied'];
}

/**
 * Steps 2-3 (integration-server-api.md §8.3-§8.4) with the provider's main-server KSC account:
 * read the vAS display name, then ensure the tenant's Light Agent policy in
 * `Multitenancy KSV LA / <tenant>` (SVM discovery through the Integration Server, connection
 * settings locked) and the profile's Protection Server policy in the provider's SVM folder.
 * Idempotent: every object is looked up before it is created, and brought in line when it differs.
 */
@Injectable()
export class ConfigureSvmJob extends OnboardingStepJob<TenantCreatedV1> {
  readonly step = CONFIGURE_SVM_STEP;

  constructor(
    steps: StepWorkRepository,
    outbox: OutboxWriter,
    @Inject(LOGGER) logger: Logger,
    private readonly clients: KasperskyClients,
  ) {
    super({ steps, outbox, logger, classify: classifyVendorError });
  }

  protected async execute(work: StepWork<TenantCreatedV1>, signal: AbortSignal): Promise<StepResult> {
    const { site, client } = await this.clients.kscClient(work.siteId);
    const plan = planSvmConfig(work.input, site.integrationServer.addressForAgents);
    let session: KscSession | undefined;
    try {
      session = await client.startSession({ signal });
      // Errors are classified by the step base with the shared vendor classifier.
      return await this.apply(work, plan, session, signal);
    } finally {
      await session?.endSession().catch(() => undefined);
    }
  }

  private async apply(work: StepWork<TenantCreatedV1>, plan: SvmConfigPlan, session: KscSession, signal: AbortSignal): Promise<StepResult> {
    const input = work.input;
    const vsId = Number(input.virtualServerId);
    if (!/^\d+$/.test(input.virtualServerId) || !Number.isSafeInteger(vsId)) {
      // ASSUMPTION: the stored input cannot change, so a malformed id is not worth retrying.
      return { ok: false, code: 'VSERVER_NOT_FOUND', message: `virtual server id "${input.virtualServerId}" is not a KSC virtual server id`, retryable: false };
    }
    const dn = await vserverName(new VServersApi(session), vsId);
    if (dn === undefined) {
      return { ok: false, code: 'VSERVER_NOT_FOUND', message: `the site's KSC has no virtual Administration Server with id ${vsId}`, retryable: true };
    }
    signal.throwIfAborted();
    const groups = new HostGroupApi(session);
    const root = await groups.groupIdGroups();
    const multitenancy = await groups.getGroupId(root, MULTITENANCY_FOLDER);
    const tenantFolder = multitenancy === undefined ? undefined : await groups.getGroupId(multitenancy, input.tenantName);
    if (tenantFolder === undefined) {
      return {
        ok: false,
        code: 'TENANT_FOLDER_NOT_FOUND',
        message: `the main server has no group "${MULTITENANCY_FOLDER}/${input.tenantName}" (created by the Integration Server with the tenant)`,
        retryable: true,
      };
    }
    const policies = new PolicyApi(session);
    const lightAgent = await ensurePolicy(policies, tenantFolder, plan.lightAgent, signal);
    const svmGroupId = await ensureGroupPath(groups, root, plan.protectionServer.folderPath, signal);
    const protectionServer = await ensurePolicy(policies, svmGroupId, plan.protectionServer, signal);
    this.base.logger.info(
      { tenantId: work.tenantId, virtualServerId: vsId, lightAgentPolicyId: lightAgent.id, lightAgent: lightAgent.change, protectionServerPolicyId: protectionServer.id, protectionServer: protectionServer.change },
      'SVM configuration applied',
    );
    const output: SvmConfigOutput = {
      virtualServerId: input.virtualServerId,
      virtualServerName: dn,
      tenantFolderGroupId: tenantFolder,
      lightAgentPolicyId: lightAgent.id,
      svmGroupId,
      protectionServerPolicyId: protectionServer.id,
      changes: { lightAgentPolicy: lightAgent.change, protectionServerPolicy: protectionServer.change },
      applied: plan.applied,
    };
    return {
      ok: true,
      output,
      event: {
        definition: SvmConfigured,
        payload: {
          tenantId: work.tenantId,
          siteId: work.siteId,
          integrationServerTenantId: input.integrationServerTenantId,
          virtualServerId: input.virtualServerId,
          virtualServerName: dn,
          vms: input.vms,
          applied: plan.applied,
        },
      },
    };
  }
}
