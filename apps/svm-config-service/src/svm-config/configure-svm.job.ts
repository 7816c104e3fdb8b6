import { Inject, Injectable } from '@nestjs/common';
import { SvmConfigured, TenantCreatedV1 } from '@tpo/contracts';
import { HostGroupApi, KscSession, VServersApi } from '@tpo/ksc-client';
import { OutboxWriter } from '@tpo/messaging';
import { LOGGER } from '@tpo/platform';
import { OnboardingStepJob, StepResult, StepWork, StepWorkRepository } from '@tpo/steps';
import { KasperskyClients } from '@tpo/site-directory';
import { classifyVendorError } from '@tpo/vendor-failures';
import type { Logger } from 'pino';
import {
  checkReference,
  ensureClone,
  ensureGroupPath,
  PolicyChange,
  ReferenceSettingsChecks,
  vserverName,
} from './ksc-policies';
import { MULTITENANCY_FOLDER, planSvmConfig, SvmConfigPlan } from './svm-policy-settings';

export const CONFIGURE_SVM_STEP = 'configure-svm' as const;

/** What the step records per tenant (step_work.output) and serves at GET /v1/svm-configs/:tenantId. */
export interface SvmConfigOutput {
  virtualServerId: string;
  virtualServerName: string;
  tenantFolderGroupId: number;
  /** The first (by OS family) of `lightAgentPolicies`, kept for older readers. */
  lightAgentPolicyId: number;
  lightAgentPolicies: { osFamily: string; policyId: number; referencePolicyId: number; change: PolicyChange }[];
  svmGroupId: number;
  protectionServerPolicyId: number;
  changes: { lightAgentPolicy: string; protectionServerPolicy: string };
  applied: SvmConfigPlan['applied'];
}

/**
 * Steps 3-4 (integration-server-api.md §8.3-§8.4, ksc-openapi-addendum.md §2.5) with the provider's
 * main-server KSC account. Before any change: the site's deployment covers the order (OS families,
 * protection profile, requested settings), the vAS and the tenant folder `Multitenancy KSV LA /
 * <tenant>` (made by the Integration Server) exist, and every reference policy exists, is of the
 * configured product and holds the captured variables. Then per OS family the reference Light
 * Agent policy is cloned into the tenant folder with the SVM-connection variables overridden and
 * locked, and the profile's reference Protection Server policy into the provider SVM folder.
 * Idempotent: every clone is looked up before it is made, and brought in line when it differs.
 */
@Injectable()
export class ConfigureSvmJob extends OnboardingStepJob<TenantCreatedV1> {
  readonly step = CONFIGURE_SVM_STEP;
  /** Reference settings found complete, per site, until the reference policy is modified. */
  private readonly referenceChecks = new ReferenceSettingsChecks();

  constructor(
    steps: StepWorkRepository,
    outbox: OutboxWriter,
    @Inject(LOGGER) logger: Logger,
    private readonly clients: KasperskyClients,
  ) {
    super({ steps, outbox, logger, classify: classifyVendorError });
  }

  protected async execute(work: StepWork<TenantCreatedV1>, signal: AbortSignal): Promise<StepResult> {
    const { site, sessions } = await this.clients.kscClient(work.siteId);
    const planned = planSvmConfig(work.input, site);
    // Decided from the order and the site configuration alone: an admin fixes the site, then retries.
    if ('error' in planned) return { ok: false, ...planned.error, retryable: false };
    const plan = planned.plan;
    // A main-server session of the site's pool, this job's alone until it returns. Errors are
    // classified by the step base with the shared vendor classifier.
    return await sessions.use((session) => this.apply(work, plan, session, signal), { signal });
  }

  private async apply(
    work: StepWork<TenantCreatedV1>,
    plan: SvmConfigPlan,
    session: KscSession,
    signal: AbortSignal,
  ): Promise<StepResult> {
    const input = work.input;
    const vsId = Number(input.virtualServerId);
    if (!/^\d+$/.test(input.virtualServerId) || !Number.isSafeInteger(vsId)) {
      // ASSUMPTION: the stored input cannot change, so a malformed id is not worth retrying.
      return {
        ok: false,
        code: 'VSERVER_NOT_FOUND',
        message: `virtual server id "${input.virtualServerId}" is not a KSC virtual server id`,
        retryable: false,
      };
    }
    const dn = await vserverName(new VServersApi(session), vsId);
    if (dn === undefined) {
      return {
        ok: false,
        code: 'VSERVER_NOT_FOUND',
        message: `the site's KSC has no virtual Administration Server with id ${vsId}`,
        retryable: true,
      };
    }
    signal.throwIfAborted();
    const groups = new HostGroupApi(session);
    const root = await groups.groupIdGroups();
    const multitenancy = await groups.getGroupId(root, MULTITENANCY_FOLDER);
    const tenantFolder =
      multitenancy === undefined ? undefined : await groups.getGroupId(multitenancy, input.tenantName);
    if (tenantFolder === undefined) {
      return {
        ok: false,
        code: 'TENANT_FOLDER_NOT_FOUND',
        message: `the main server has no group "${MULTITENANCY_FOLDER}/${input.tenantName}" (created by the Integration Server with the tenant)`,
        retryable: true,
      };
    }
    // Reference policies: present, of the configured product, holding the captured variables — before any change.
    for (const la of plan.lightAgents) {
      const refused = await checkReference(session, la.reference, la.overrides, `${la.osFamily} Light Agent`, {
        checks: this.referenceChecks,
        siteId: work.siteId,
      });
      if (refused) return { ok: false, ...refused, retryable: false };
    }
    const psRefused = await checkReference(
      session,
      plan.protectionServer.reference,
      [],
      `protection profile "${plan.applied.protectionProfile}"`,
    );
    if (psRefused) return { ok: false, ...psRefused, retryable: false };
    signal.throwIfAborted();

    const lightAgents: SvmConfigOutput['lightAgentPolicies'] = [];
    for (const la of plan.lightAgents) {
      const r = await ensureClone(session, tenantFolder, la, signal);
      lightAgents.push({
        osFamily: la.osFamily,
        policyId: r.id,
        referencePolicyId: la.reference.policyId,
        change: r.change,
      });
    }
    const svmGroupId = await ensureGroupPath(groups, root, plan.protectionServer.folderPath, signal);
    const protectionServer = await ensureClone(session, svmGroupId, plan.protectionServer, signal);
    const lightAgentChange = lightAgents.some((l) => l.change === 'created')
      ? 'created'
      : lightAgents.some((l) => l.change === 'updated')
        ? 'updated'
        : 'unchanged';
    this.base.logger.info(
      {
        tenantId: work.tenantId,
        virtualServerId: vsId,
        lightAgentPolicies: lightAgents,
        protectionServerPolicyId: protectionServer.id,
        protectionServer: protectionServer.change,
      },
      'SVM configuration applied',
    );
    const output: SvmConfigOutput = {
      virtualServerId: input.virtualServerId,
      virtualServerName: dn,
      tenantFolderGroupId: tenantFolder,
      lightAgentPolicyId: lightAgents[0]?.policyId ?? 0,
      lightAgentPolicies: lightAgents,
      svmGroupId,
      protectionServerPolicyId: protectionServer.id,
      changes: { lightAgentPolicy: lightAgentChange, protectionServerPolicy: protectionServer.change },
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
