import { Injectable } from '@nestjs/common';
import { ONBOARDING_STEPS, OnboardingStep } from '@tpo/contracts';
import { InboxClaim, InboxRepository } from '@tpo/messaging';
import { GuardedStatement, UnitOfWork } from '@tpo/persistence';
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

  /**
   * Step 1's create intent (the time it is recorded, before the CreateTenant call), as a guarded
   * statement: written with the sealed password (TenantSecretRepository.insertStatement) by the
   * job's fenced write, in one statement.
   */
  createIntentStatement(tenantId: string, at: Date): GuardedStatement {
    return guarded((q) => {
      const [id, intent] = [q.add(tenantId), q.add(at)];
      return (held) =>
        `UPDATE tenant SET updated_at = now(), create_intent_at = ${intent} WHERE id = ${id} AND (${held})`;
    });
  }

  /** recordCreateTask as guarded statements (the tenant, and step 1's timeline row once), for the job's fenced write. */
  createTaskStatements(tenantId: string, taskId: string): GuardedStatement[] {
    return [
      guarded((q) => {
        const [id, task] = [q.add(tenantId), q.add(taskId)];
        return (held) =>
          `UPDATE tenant SET updated_at = now(), create_task_id = ${task} WHERE id = ${id} AND (${held})`;
      }),
      guarded((q) => {
        const [id, task] = [q.add(tenantId), q.add(taskId)];
        return (held) =>
          `UPDATE tenant_step s SET external_task_ids = s.external_task_ids || to_jsonb(${task}::text)
           WHERE s.tenant_id = ${id} AND s.step = 'create-tenant' AND NOT s.external_task_ids ? ${task} AND (${held})`;
      }),
    ];
  }

  /**
   * createTenantSucceeded as guarded statements, for the job's end in one statement
   * (JobContext.succeedWith): the tenant, step 1 succeeded and step 2 running. The timeline rows are
   * written for the tenant row as it exists (as the CTE fed by the tenant's UPDATE did).
   */
  createTenantSucceededStatements(
    tenantId: string,
    output: { integrationServerTenantId: string; virtualServerId: string },
  ): GuardedStatement[] {
    return [
      guarded((q) => {
        const [id, isTenant, vas] = [
          q.add(tenantId),
          q.add(output.integrationServerTenantId),
          q.add(output.virtualServerId),
        ];
        return (held) =>
          `UPDATE tenant SET updated_at = now(), current_step = 'configure-svm', is_tenant_id = ${isTenant}, virtual_server_id = ${vas}, failure = NULL
           WHERE id = ${id} AND (${held})`;
      }),
      ...(
        [
          { step: 'create-tenant', as: 'succeeded', details: { ...output } },
          { step: 'configure-svm', as: 'started' },
        ] as StepWrite[]
      ).map((w) =>
        guarded((q) => {
          const text = stepUpsert(q, w, HELD, `(SELECT id FROM tenant WHERE id = ${q.add(tenantId)}) t`);
          return (held) => text.replace(HELD, () => held);
        }),
      ),
    ];
  }

  /**
   * Step 1 failed, as guarded statements for the job's end in one statement (JobContext.failWith):
   * the tenant failed with `failure` (and `reset`: its task id and intent cleared), its lifecycle
   * failed if it was onboarding (as OnboardOperation.failed did), step 1's timeline row failed with
   * its attempt kept. The onboard operation's end is OnboardOperation.failedStatement.
   */
  createTenantFailedStatements(
    tenantId: string,
    failure: { step: OnboardingStep; code: string; message: string; retryable: boolean },
    reset: boolean,
  ): GuardedStatement[] {
    const whenOnboarding = (value: string, column: string) =>
      `CASE WHEN lifecycle = 'onboarding' THEN ${value} ELSE ${column} END`;
    return [
      guarded((q) => {
        const [id, f] = [q.add(tenantId), q.add(JSON.stringify(failure))];
        const sets = [
          'updated_at = now()',
          `status = 'failed'`,
          `failure = ${f}::jsonb`,
          ...(reset ? ['create_task_id = NULL', 'create_intent_at = NULL'] : []),
          `lifecycle = ${whenOnboarding(`'failed'`, 'lifecycle')}`,
          `lifecycle_reason = ${whenOnboarding('NULL', 'lifecycle_reason')}`,
          `lifecycle_changed_at = ${whenOnboarding('now()', 'lifecycle_changed_at')}`,
        ];
        return (held) => `UPDATE tenant SET ${sets.join(', ')} WHERE id = ${id} AND (${held})`;
      }),
      guarded((q) => {
        const [id, step, code, message, retryable] = [
          q.add(tenantId),
          q.add(failure.step),
          q.add(failure.code),
          q.add(failure.message.slice(0, 2000)),
          q.add(failure.retryable),
        ];
        return (held) =>
          `INSERT INTO tenant_step (tenant_id, step, status, attempt, started_at, ended_at, error_code, error_message, retryable)
           SELECT t.id, ${step}::text, 'failed', 1, now(), now(), ${code}::text, ${message}::text, ${retryable}::boolean
           FROM tenant t WHERE t.id = ${id} AND (${held})
           ON CONFLICT (tenant_id, step) DO UPDATE SET status = 'failed', attempt = GREATEST(tenant_step.attempt, EXCLUDED.attempt), ended_at = now(),
             error_code = EXCLUDED.error_code, error_message = EXCLUDED.error_message, retryable = EXCLUDED.retryable`;
      }),
    ];
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

/** Where a text built ahead takes its guard (GuardedStatement's `held`). */
const HELD = '/*held*/';

/** A guarded statement whose parameters `build` adds once; it returns the text for a given `held`. */
function guarded(build: (q: Params) => (held: string) => string): GuardedStatement {
  const q = new Params();
  const text = build(q);
  return { text, params: q.values };
}

/**
 * The upsert of one timeline row for each tenant row of `t` (those where `onlyIf` holds); `source`
 * is what `t` is (default: the statement's CTE `t`).
 */
function stepUpsert(q: Params, s: StepWrite, onlyIf?: string, source = 't'): string {
  const step = `${q.add(s.step)}::text`;
  const from = onlyIf ? `FROM ${source} WHERE ${onlyIf}` : `FROM ${source}`;
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
