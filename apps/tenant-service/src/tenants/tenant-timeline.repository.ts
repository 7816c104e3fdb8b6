import { Injectable } from '@nestjs/common';
import { ONBOARDING_STEPS, OnboardingStep } from '@tpo/contracts';
import { InboxClaim, InboxRepository } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { STEP_COLUMNS, StepRecord, TENANT_COLUMNS, TenantRecord, toStep, toTenant } from './tenant.repository';

/** How one statement writes a timeline row: the same effect as TenantRepository's stepSucceeded / stepStarted. */
type StepWrite =
  | { step: OnboardingStep; as: 'succeeded'; details?: Record<string, unknown> }
  | { step: OnboardingStep; as: 'started' }
  /** Started and succeeded at once (the handover): stepStarted followed by stepSucceeded without details. */
  | { step: OnboardingStep; as: 'started-and-succeeded' };

/** A step service's success event, as the tenant and its timeline record it. */
export interface StepEndedChange {
  tenantId: string;
  /** The step the event reports as succeeded, with what it did (timeline details). */
  done: OnboardingStep;
  details: Record<string, unknown>;
  /** Where the tenant moves on to, unless it is ready or already past `done`. */
  next: OnboardingStep;
  /** Written whether or not the tenant moves on: merged into the VM summary, the vAS name. */
  always?: {
    virtualServerName?: string;
    vmSummary?: Record<string, unknown>;
    /** Also `requested`: the number of VMs in the tenant's order. */
    requestedVms?: boolean;
  };
  /** `next` is the handover: on moving on, the tenant is ready (lifecycle active) and this is merged into its VM summary. */
  handover?: { vmSummary: Record<string, unknown> };
}

export interface StepEnded {
  tenant: TenantRecord;
  advanced: boolean;
  /** With `handover` when advanced: the site's KSC address for the handover (no credentials). */
  ksc?: { publicAddress?: string; url?: string };
}

/** Statement parameters, numbered as they are added. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    return `$${this.values.push(v)}`;
  }
}

/**
 * The tenant's moves that also write its timeline, each in one statement (an UPDATE of the tenant
 * with the `tenant_step` upserts as data-modifying CTEs fed by its RETURNING): the onboarding's hot
 * path, where every round trip costs CPU. The effects are those of TenantRepository's `update`,
 * `stepSucceeded` and `stepStarted` issued one after the other; the tenant row is locked first, as
 * before. TenantRepository and this class are the only code that writes `tenant` and `tenant_step`.
 */
@Injectable()
export class TenantTimelineRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Marks `done` succeeded and, unless the tenant is ready or already past `done` (step events of
   * different consumers may arrive out of order), moves it to `next`; undefined for an unknown
   * tenant. One statement: the decision is taken on the row locked FOR UPDATE in a subquery, which
   * after waiting for a concurrent writer sees that writer's committed version (as SELECT ... FOR
   * UPDATE followed by an UPDATE did), and the UPDATE returns it with the row.
   */
  async stepEnded(c: StepEndedChange, inbox?: InboxClaim): Promise<StepEnded | undefined> {
    const q = new Params();
    // With the event's inbox claim, its inbox row is the statement's first CTE and gates the rest:
    // a redelivered event writes nothing (the claim is settled with what the insert did).
    const claim = inbox ? InboxRepository.claimLink(inbox) : undefined;
    const claimCte = claim ? `${claim.name} AS (${claim.text((v) => q.add(v), undefined)}),\n       ` : '';
    const gated = claim ? ` AND EXISTS (SELECT 1 FROM ${claim.name})` : '';
    const id = q.add(c.tenantId);
    const order = `${q.add([...ONBOARDING_STEPS])}::text[]`;
    const ifAdvanced = (value: string, column: string) => `CASE WHEN o.advance THEN ${value} ELSE tenant.${column} END`;
    const sets: string[] = [
      // The row is only touched (updated_at) when something in it changes, as before.
      `updated_at = ${c.always ? 'now()' : ifAdvanced('now()', 'updated_at')}`,
      `current_step = ${ifAdvanced(q.add(c.next), 'current_step')}`,
      `failure = ${ifAdvanced('NULL', 'failure')}`,
      `status = ${ifAdvanced(c.handover ? `'ready'` : `'onboarding'`, 'status')}`,
    ];
    if (c.always?.virtualServerName !== undefined)
      sets.push(`virtual_server_name = ${q.add(c.always.virtualServerName)}`);
    const merged: string[] = [];
    if (c.always?.requestedVms)
      merged.push(`jsonb_build_object('requested', jsonb_array_length(tenant.request->'vms'))`);
    if (c.always?.vmSummary) merged.push(`${q.add(JSON.stringify(c.always.vmSummary))}::jsonb`);
    if (c.handover)
      merged.push(
        `CASE WHEN o.advance THEN ${q.add(JSON.stringify(c.handover.vmSummary))}::jsonb ELSE '{}'::jsonb END`,
      );
    if (merged.length > 0)
      sets.push(`vm_summary = ${[`COALESCE(tenant.vm_summary, '{}'::jsonb)`, ...merged].join(' || ')}`);
    if (c.handover)
      sets.push(
        `ready_at = ${ifAdvanced('now()', 'ready_at')}`,
        `lifecycle = ${ifAdvanced(`'active'`, 'lifecycle')}`,
        `lifecycle_reason = ${ifAdvanced('NULL', 'lifecycle_reason')}`,
        `lifecycle_changed_at = ${ifAdvanced('now()', 'lifecycle_changed_at')}`,
      );
    const returning = [
      ...TENANT_COLUMNS.split(',').map((col) => `tenant.${col.trim()}`),
      'o.advance',
      ...(c.handover
        ? [
            `(SELECT jsonb_build_object('publicAddress', s.connection->'ksc'->>'publicAddress', 'url', s.connection->'ksc'->>'url')
              FROM site s WHERE s.id = tenant.site_id) AS ksc`,
          ]
        : []),
    ];
    const done = stepUpsert(q, { step: c.done, as: 'succeeded', details: c.details });
    const next = stepUpsert(q, { step: c.next, as: c.handover ? 'started-and-succeeded' : 'started' }, 't.advance');
    const rows: Record<string, unknown>[] = await this.uow.manager().query(
      `WITH ${claimCte}t AS (
         UPDATE tenant SET ${sets.join(', ')}
         FROM (SELECT id AS locked_id,
                 status <> 'ready' AND COALESCE(array_position(${order}, current_step), 0) <= array_position(${order}, ${q.add(c.done)}::text) AS advance
               FROM tenant WHERE id = ${id} FOR UPDATE) o
         WHERE tenant.id = o.locked_id${gated}
         RETURNING ${returning.join(', ')}),
       s0 AS (${done}),
       s1 AS (${next})
       ${claim ? `SELECT (SELECT count(*) FROM ${claim.name})::int AS inbox_claimed, t.* FROM (VALUES (1)) AS one LEFT JOIN t ON true` : 'SELECT * FROM t'}`,
      q.values,
    );
    const r = rows[0];
    inbox?.settle(r?.inbox_claimed === 1);
    if (!r || r.id === null || r.id === undefined) return undefined;
    const advanced = r.advance === true;
    return {
      tenant: toTenant(r),
      advanced,
      ksc: advanced && c.handover ? ((r.ksc as StepEnded['ksc']) ?? {}) : undefined,
    };
  }

  /** Step 1 succeeded: the tenant's ids on the Integration Server; it moves on to configure-svm. */
  async createTenantSucceeded(
    tenantId: string,
    output: { integrationServerTenantId: string; virtualServerId: string },
  ): Promise<void> {
    const q = new Params();
    await this.updateWithTimeline(
      q,
      [
        `current_step = 'configure-svm'`,
        `is_tenant_id = ${q.add(output.integrationServerTenantId)}`,
        `virtual_server_id = ${q.add(output.virtualServerId)}`,
        'failure = NULL',
      ],
      `id = ${q.add(tenantId)}`,
      [
        { step: 'create-tenant', as: 'succeeded', details: { ...output } },
        { step: 'configure-svm', as: 'started' },
      ],
    );
  }

  /** The CreateTenant task id, on the tenant and in step 1's timeline row (once). */
  async recordCreateTask(tenantId: string, taskId: string): Promise<void> {
    await this.uow.manager().query(
      `WITH t AS (UPDATE tenant SET updated_at = now(), create_task_id = $2 WHERE id = $1 RETURNING id)
       UPDATE tenant_step s SET external_task_ids = s.external_task_ids || to_jsonb($2::text)
       FROM t WHERE s.tenant_id = t.id AND s.step = 'create-tenant' AND NOT s.external_task_ids ? $2`,
      [tenantId, taskId],
    );
  }

  /** The tenant with one of its timeline rows, in one query. */
  async findWithStep(
    tenantId: string,
    step: OnboardingStep,
  ): Promise<{ tenant: TenantRecord; step: StepRecord | undefined } | undefined> {
    const rows: Record<string, unknown>[] = await this.uow.manager().query(
      `SELECT ${TENANT_COLUMNS},
         (SELECT to_jsonb(s) FROM (SELECT ${STEP_COLUMNS} FROM tenant_step WHERE tenant_id = $1 AND step = $2) s) AS step_row
       FROM tenant WHERE id = $1`,
      [tenantId, step],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { tenant: toTenant(r), step: r.step_row ? toStep(r.step_row as Record<string, unknown>) : undefined };
  }

  /** `UPDATE tenant SET <sets> WHERE <where>` and the timeline rows of the updated tenant, in one statement. */
  private async updateWithTimeline(q: Params, sets: string[], where: string, steps: StepWrite[]): Promise<void> {
    const writes = steps.map((s, i) => `s${i} AS (${stepUpsert(q, s)})`);
    await this.uow
      .manager()
      .query(
        `WITH t AS (UPDATE tenant SET updated_at = now(), ${sets.join(', ')} WHERE ${where} RETURNING id), ${writes.join(', ')} SELECT id FROM t`,
        q.values,
      );
  }
}

/** The upsert of one timeline row for each tenant row of `t` (those where `onlyIf` holds). */
function stepUpsert(q: Params, s: StepWrite, onlyIf?: string): string {
  const step = `${q.add(s.step)}::text`;
  const from = onlyIf ? `FROM t WHERE ${onlyIf}` : 'FROM t';
  const clearError = 'error_code = NULL, error_message = NULL, retryable = NULL';
  switch (s.as) {
    case 'succeeded':
      return `INSERT INTO tenant_step (tenant_id, step, status, started_at, ended_at, details)
        SELECT t.id, ${step}, 'succeeded', now(), now(), ${q.add(s.details ? JSON.stringify(s.details) : null)}::jsonb ${from}
        ON CONFLICT (tenant_id, step) DO UPDATE SET status = 'succeeded', ended_at = now(),
          details = COALESCE(EXCLUDED.details, tenant_step.details), ${clearError}`;
    case 'started':
      return `INSERT INTO tenant_step (tenant_id, step, status, started_at) SELECT t.id, ${step}, 'running', now() ${from}
        ON CONFLICT (tenant_id, step) DO UPDATE SET status = 'running', started_at = now(), ended_at = NULL, ${clearError}`;
    case 'started-and-succeeded':
      return `INSERT INTO tenant_step (tenant_id, step, status, started_at, ended_at) SELECT t.id, ${step}, 'succeeded', now(), now() ${from}
        ON CONFLICT (tenant_id, step) DO UPDATE SET status = 'succeeded', started_at = now(), ended_at = now(), ${clearError}`;
  }
}
