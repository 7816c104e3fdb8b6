import { Injectable } from '@nestjs/common';
import { OnboardingRequest, OnboardingStep, TenantLifecycle } from '@tpo/contracts';
import { ChainLink, UnitOfWork, violatedUniqueConstraint } from '@tpo/persistence';
import { adminAccountTaken, conflictingTenant, DuplicateOrderError, tenantNameTaken } from './tenant-errors';

export type TenantStatus = 'onboarding' | 'failed' | 'ready';
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface StepFailure {
  step: OnboardingStep;
  code: string;
  message: string;
  retryable: boolean;
}

export interface TenantRecord {
  id: string;
  orderId: string;
  name: string;
  adminAccountName: string;
  siteId: string;
  status: TenantStatus;
  /** Lifecycle status, apart from any operation's progress (`status` is the onboarding's progress). */
  lifecycle: TenantLifecycle;
  lifecycleReason: string | null;
  lifecycleChangedAt: Date | null;
  currentStep: OnboardingStep;
  request: OnboardingRequest;
  isTenantId: string | null;
  virtualServerId: string | null;
  virtualServerName: string | null;
  createTaskId: string | null;
  /** Set just before CreateTenant is called; with no task id it means "a call may have been made". */
  createIntentAt: Date | null;
  failure: StepFailure | null;
  vmSummary: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
  readyAt: Date | null;
}

export interface StepRecord {
  step: OnboardingStep;
  status: StepStatus;
  attempt: number;
  startedAt: Date | null;
  endedAt: Date | null;
  externalTaskIds: string[];
  errorCode: string | null;
  errorMessage: string | null;
  retryable: boolean | null;
  details: Record<string, unknown> | null;
}

export const TENANT_COLUMNS = `id, order_id, name, admin_account_name, site_id, status, current_step, request, is_tenant_id, virtual_server_id,
  virtual_server_name, create_task_id, create_intent_at, failure, vm_summary, created_at, updated_at, ready_at, lifecycle, lifecycle_reason, lifecycle_changed_at`;

export function toTenant(r: Record<string, unknown>): TenantRecord {
  return {
    ...toTenantSummary(r),
    lifecycleChangedAt: (r.lifecycle_changed_at as Date | null) ?? null,
    request: r.request as OnboardingRequest,
    isTenantId: r.is_tenant_id as string | null,
    virtualServerId: r.virtual_server_id as string | null,
    virtualServerName: r.virtual_server_name as string | null,
    createTaskId: r.create_task_id as string | null,
    createIntentAt: (r.create_intent_at as Date | null) ?? null,
    vmSummary: r.vm_summary as Record<string, unknown> | null,
  };
}

/** A tenant's summary columns (what REST shows of a new or retried tenant). */
export type TenantSummaryRecord = Pick<
  TenantRecord,
  | 'id'
  | 'orderId'
  | 'name'
  | 'adminAccountName'
  | 'siteId'
  | 'status'
  | 'lifecycle'
  | 'lifecycleReason'
  | 'currentStep'
  | 'failure'
  | 'createdAt'
  | 'updatedAt'
  | 'readyAt'
>;

function toTenantSummary(r: Record<string, unknown>): TenantSummaryRecord {
  return {
    id: r.id as string,
    orderId: r.order_id as string,
    name: r.name as string,
    adminAccountName: r.admin_account_name as string,
    siteId: r.site_id as string,
    status: r.status as TenantStatus,
    lifecycle: r.lifecycle as TenantLifecycle,
    lifecycleReason: (r.lifecycle_reason as string | null) ?? null,
    currentStep: r.current_step as OnboardingStep,
    failure: r.failure as StepFailure | null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    readyAt: r.ready_at as Date | null,
  };
}

export const STEP_COLUMNS =
  'step, status, attempt, started_at, ended_at, external_task_ids, error_code, error_message, retryable, details';

export function toStep(r: Record<string, unknown>): StepRecord {
  const date = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(v as string));
  return {
    step: r.step as OnboardingStep,
    status: r.status as StepStatus,
    attempt: r.attempt as number,
    startedAt: date(r.started_at),
    endedAt: date(r.ended_at),
    externalTaskIds: r.external_task_ids as string[],
    errorCode: r.error_code as string | null,
    errorMessage: r.error_message as string | null,
    retryable: r.retryable as boolean | null,
    details: r.details as Record<string, unknown> | null,
  };
}

/** With TenantTimelineRepository, the only code that writes `tenant` and `tenant_step` (TenantReadQuery reads them for REST). */
@Injectable()
export class TenantRepository {
  constructor(private readonly uow: UnitOfWork) {}

  private get m() {
    return this.uow.manager();
  }

  /**
   * Records a new tenant. A lost race on a unique index comes back as a domain error: DuplicateOrderError
   * (order id), TENANT_NAME_TAKEN, ADMIN_ACCOUNT_TAKEN, or CONFLICT for any other unique key.
   */
  async insert(
    t: Pick<TenantRecord, 'id' | 'orderId' | 'name' | 'adminAccountName' | 'siteId' | 'request'>,
  ): Promise<TenantRecord> {
    return (await this.insertWith(t, () => [])).tenant;
  }

  /**
   * `insert`, with more writes of other tables in the same statement: `links(gate)` gives them as
   * links of a chained statement (`ChainLink`), each written only for the new tenant's row, `gate`.
   * Returns the tenant as stored and the rows each link wrote, by name. All or nothing: a refusal of
   * the tenant (a unique index) writes none of them.
   */
  async insertWith(
    t: Pick<TenantRecord, 'id' | 'orderId' | 'name' | 'adminAccountName' | 'siteId' | 'request'>,
    links: (gate: string) => ChainLink[],
  ): Promise<{ tenant: TenantRecord; written: Record<string, number> }> {
    const params: unknown[] = [t.id, t.orderId, t.name, t.adminAccountName, t.siteId, JSON.stringify(t.request)];
    const bind = (value: unknown) => `$${params.push(value)}`;
    const more = links('t');
    for (const l of more)
      if (!/^[a-z_][a-z0-9_]*$/.test(l.name) || ['t', 's'].includes(l.name))
        throw new Error(`tenant insert: bad link name "${l.name}"`);
    const ctes = more.map((l) => `,\n         ${l.name} AS (${l.text(bind, l.gate)})`).join('');
    const counts = more.map((l) => `, (SELECT count(*) FROM ${l.name})::int AS "written:${l.name}"`).join('');
    let rows: Record<string, unknown>[];
    try {
      // The tenant and its step-1 timeline row (running) in one statement, the record as stored returned.
      rows = await this.m.query(
        `WITH t AS (
           INSERT INTO tenant (id, order_id, name, admin_account_name, site_id, status, current_step, request)
           VALUES ($1, $2, $3, $4, $5, 'onboarding', 'create-tenant', $6::jsonb) RETURNING ${TENANT_COLUMNS}),
         s AS (INSERT INTO tenant_step (tenant_id, step, status, started_at) SELECT id, 'create-tenant', 'running', now() FROM t)${ctes}
         SELECT t.*${counts} FROM t`,
        params,
      );
    } catch (e) {
      throw translateInsertError(e, t);
    }
    const written = Object.fromEntries(more.map((l) => [l.name, Number(rows[0][`written:${l.name}`] ?? 0)]));
    return { tenant: toTenant(rows[0]), written };
  }

  async findById(id: string, forUpdate = false): Promise<TenantRecord | undefined> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT ${TENANT_COLUMNS} FROM tenant WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0] ? toTenant(rows[0]) : undefined;
  }

  async findByOrderId(orderId: string): Promise<TenantRecord | undefined> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT ${TENANT_COLUMNS} FROM tenant WHERE order_id = $1`,
      [orderId],
    );
    return rows[0] ? toTenant(rows[0]) : undefined;
  }

  /**
   * The intake's reads in one statement: the tenant of `orderId` if the order is known, and whether
   * another tenant has the name or the admin account (findByOrderId and findConflicts).
   */
  async findOrderOrConflicts(
    orderId: string,
    name: string,
    adminAccountName: string,
  ): Promise<{ existing: TenantRecord | undefined; nameTaken: boolean; accountTaken: boolean }> {
    const [row]: Record<string, unknown>[] = await this.m.query(
      `SELECT ${TENANT_COLUMNS.split(',')
        .map((c) => `o.${c.trim()}`)
        .join(', ')}, c.name_taken, c.account_taken
       FROM (SELECT bool_or(lower(name) = lower($2)) AS name_taken, bool_or(lower(admin_account_name) = lower($3)) AS account_taken
             FROM tenant WHERE lower(name) = lower($2) OR lower(admin_account_name) = lower($3)) c
       LEFT JOIN tenant o ON o.order_id = $1`,
      [orderId, name, adminAccountName],
    );
    return {
      existing: row && row.id !== null && row.id !== undefined ? toTenant(row) : undefined,
      nameTaken: !!row?.name_taken,
      accountTaken: !!row?.account_taken,
    };
  }

  async findConflicts(name: string, adminAccountName: string): Promise<{ nameTaken: boolean; accountTaken: boolean }> {
    const [row] = await this.m.query(
      `SELECT bool_or(lower(name) = lower($1)) AS name_taken, bool_or(lower(admin_account_name) = lower($2)) AS account_taken
       FROM tenant WHERE lower(name) = lower($1) OR lower(admin_account_name) = lower($2)`,
      [name, adminAccountName],
    );
    return { nameTaken: !!row?.name_taken, accountTaken: !!row?.account_taken };
  }

  /** Sets the lifecycle status with its reason (suspend, resume, deprovision, onboarding's end). */
  async setLifecycle(id: string, lifecycle: TenantLifecycle, reason?: string | null): Promise<void> {
    await this.m.query(
      `UPDATE tenant SET lifecycle = $2, lifecycle_reason = $3, lifecycle_changed_at = now(), updated_at = now() WHERE id = $1`,
      [id, lifecycle, reason ?? null],
    );
  }

  async update(
    id: string,
    patch: Partial<
      Pick<
        TenantRecord,
        | 'status'
        | 'currentStep'
        | 'isTenantId'
        | 'virtualServerId'
        | 'virtualServerName'
        | 'createTaskId'
        | 'createIntentAt'
        | 'failure'
        | 'vmSummary'
      >
    > & { ready?: boolean },
  ): Promise<void> {
    const columns: Record<string, string> = {
      status: 'status',
      currentStep: 'current_step',
      isTenantId: 'is_tenant_id',
      virtualServerId: 'virtual_server_id',
      virtualServerName: 'virtual_server_name',
      createTaskId: 'create_task_id',
      createIntentAt: 'create_intent_at',
      failure: 'failure',
      vmSummary: 'vm_summary',
    };
    const sets: string[] = ['updated_at = now()'];
    const params: unknown[] = [id];
    for (const [key, column] of Object.entries(columns)) {
      if (!(key in patch)) continue;
      const value = (patch as Record<string, unknown>)[key];
      const isJson = column === 'failure' || column === 'vm_summary';
      sets.push(
        `${column} = $${params.push(isJson && value !== null ? JSON.stringify(value) : value)}${isJson ? '::jsonb' : ''}`,
      );
    }
    if (patch.ready) sets.push('ready_at = now()');
    await this.m.query(`UPDATE tenant SET ${sets.join(', ')} WHERE id = $1`, params);
  }

  // ---- timeline ------------------------------------------------------------------------------

  async steps(tenantId: string): Promise<StepRecord[]> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT ${STEP_COLUMNS} FROM tenant_step WHERE tenant_id = $1`,
      [tenantId],
    );
    return rows.map(toStep);
  }

  async step(tenantId: string, step: OnboardingStep): Promise<StepRecord | undefined> {
    return (await this.steps(tenantId)).find((s) => s.step === step);
  }

  async stepStarted(tenantId: string, step: OnboardingStep, attempt?: number): Promise<void> {
    await this.m.query(
      `INSERT INTO tenant_step (tenant_id, step, status, attempt, started_at) VALUES ($1, $2, 'running', COALESCE($3, 1), now())
       ON CONFLICT (tenant_id, step) DO UPDATE SET status = 'running', attempt = COALESCE($3, tenant_step.attempt), started_at = now(), ended_at = NULL,
         error_code = NULL, error_message = NULL, retryable = NULL`,
      [tenantId, step, attempt ?? null],
    );
  }

  async stepSucceeded(tenantId: string, step: OnboardingStep, details?: Record<string, unknown>): Promise<void> {
    await this.m.query(
      `INSERT INTO tenant_step (tenant_id, step, status, started_at, ended_at, details) VALUES ($1, $2, 'succeeded', now(), now(), $3::jsonb)
       ON CONFLICT (tenant_id, step) DO UPDATE SET status = 'succeeded', ended_at = now(), details = COALESCE($3::jsonb, tenant_step.details),
         error_code = NULL, error_message = NULL, retryable = NULL`,
      [tenantId, step, details ? JSON.stringify(details) : null],
    );
  }

  async stepFailed(tenantId: string, failure: StepFailure, attempt: number): Promise<void> {
    await this.m.query(
      `INSERT INTO tenant_step (tenant_id, step, status, attempt, started_at, ended_at, error_code, error_message, retryable)
       VALUES ($1, $2, 'failed', $3, now(), now(), $4, $5, $6)
       ON CONFLICT (tenant_id, step) DO UPDATE SET status = 'failed', attempt = GREATEST(tenant_step.attempt, $3), ended_at = now(),
         error_code = $4, error_message = $5, retryable = $6`,
      [tenantId, failure.step, attempt, failure.code, failure.message.slice(0, 2000), failure.retryable],
    );
  }

  async addExternalTask(tenantId: string, step: OnboardingStep, taskId: string): Promise<void> {
    await this.m.query(
      `UPDATE tenant_step SET external_task_ids = external_task_ids || to_jsonb($3::text) WHERE tenant_id = $1 AND step = $2 AND NOT external_task_ids ? $3`,
      [tenantId, step, taskId],
    );
  }
}

/** The unique indexes of `tenant`, as domain errors. */
function translateInsertError(e: unknown, t: Pick<TenantRecord, 'orderId' | 'name' | 'adminAccountName'>): unknown {
  const constraint = violatedUniqueConstraint(e);
  if (constraint === undefined) return e;
  if (constraint === 'tenant_order_uq') return new DuplicateOrderError(t.orderId);
  if (constraint === 'tenant_name_uq') return tenantNameTaken(t.name);
  if (constraint === 'tenant_admin_account_uq') return adminAccountTaken(t.adminAccountName);
  return conflictingTenant();
}
