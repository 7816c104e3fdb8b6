import { Injectable } from '@nestjs/common';
import { OperationKind } from '@tpo/contracts';
import { ChainLink, GuardedStatement, UnitOfWork } from '@tpo/persistence';

export type OperationState = 'running' | 'succeeded' | 'failed';
export type OperationStepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface OperationRecord {
  id: string;
  tenantId: string;
  kind: OperationKind;
  requester: string;
  correlationId: string | null;
  requestId: string | null;
  state: OperationState;
  reason: string | null;
  scope: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  errorCode: string | null;
  errorMessage: string | null;
  retryable: boolean | null;
  createdAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
}

export interface OperationStepRecord {
  step: string;
  seq: number;
  status: OperationStepStatus;
  attempt: number;
  startedAt: Date | null;
  endedAt: Date | null;
  detail: Record<string, unknown>;
  errorCode: string | null;
  errorMessage: string | null;
}

const COLUMNS = `id, tenant_id, kind, requester, correlation_id, request_id, state, reason, scope, result, error_code, error_message, retryable, created_at, updated_at, ended_at`;

function toOperation(r: Record<string, unknown>): OperationRecord {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    kind: r.kind as OperationKind,
    requester: r.requester as string,
    correlationId: r.correlation_id as string | null,
    requestId: r.request_id as string | null,
    state: r.state as OperationState,
    reason: r.reason as string | null,
    scope: r.scope as Record<string, unknown> | null,
    result: r.result as Record<string, unknown> | null,
    errorCode: r.error_code as string | null,
    errorMessage: r.error_message as string | null,
    retryable: r.retryable as boolean | null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    endedAt: r.ended_at as Date | null,
  };
}

/** The only code that touches `operation` and `operation_step`. */
@Injectable()
export class OperationRepository {
  constructor(private readonly uow: UnitOfWork) {}

  private get m() {
    return this.uow.manager();
  }

  /**
   * Records a new running operation; returns false when another operation of the tenant runs
   * already (the partial unique index decides, so two concurrent requests cannot both start).
   */
  async insertRunning(
    op: Pick<
      OperationRecord,
      'id' | 'tenantId' | 'kind' | 'requester' | 'correlationId' | 'requestId' | 'reason' | 'scope'
    >,
  ): Promise<boolean> {
    const rows: unknown[] = await this.m.query(
      `INSERT INTO operation (id, tenant_id, kind, requester, correlation_id, request_id, state, reason, scope)
       VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8::jsonb) ON CONFLICT DO NOTHING RETURNING id`,
      [
        op.id,
        op.tenantId,
        op.kind,
        op.requester,
        op.correlationId,
        op.requestId,
        op.reason,
        op.scope ? JSON.stringify(op.scope) : null,
      ],
    );
    return rows.length === 1;
  }

  /** `insertRunning` as a link of a chained statement, named `operation`, written for the rows of `gate`. */
  insertRunningLink(
    op: Pick<
      OperationRecord,
      'id' | 'tenantId' | 'kind' | 'requester' | 'correlationId' | 'requestId' | 'reason' | 'scope'
    >,
    gate: string,
  ): ChainLink {
    return {
      name: 'operation',
      gate,
      text: (bind, from) =>
        `INSERT INTO operation (id, tenant_id, kind, requester, correlation_id, request_id, state, reason, scope)
         SELECT ${bind(op.id)}::uuid, ${bind(op.tenantId)}::uuid, ${bind(op.kind)}::text, ${bind(op.requester)}::text,
           ${bind(op.correlationId)}::text, ${bind(op.requestId)}::text, 'running', ${bind(op.reason)}::text,
           ${bind(op.scope ? JSON.stringify(op.scope) : null)}::jsonb
         FROM ${from} ON CONFLICT DO NOTHING RETURNING id`,
    };
  }

  async findById(id: string, forUpdate = false): Promise<OperationRecord | undefined> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT ${COLUMNS} FROM operation WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0] ? toOperation(rows[0]) : undefined;
  }

  async running(tenantId: string): Promise<OperationRecord | undefined> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT ${COLUMNS} FROM operation WHERE tenant_id = $1 AND state = 'running'`,
      [tenantId],
    );
    return rows[0] ? toOperation(rows[0]) : undefined;
  }

  async byRequest(tenantId: string, kind: OperationKind, requestId: string): Promise<OperationRecord | undefined> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT ${COLUMNS} FROM operation WHERE tenant_id = $1 AND kind = $2 AND request_id = $3`,
      [tenantId, kind, requestId],
    );
    return rows[0] ? toOperation(rows[0]) : undefined;
  }

  /** The tenant's onboarding (every tenant has exactly one). */
  async onboarding(tenantId: string): Promise<OperationRecord | undefined> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT ${COLUMNS} FROM operation WHERE tenant_id = $1 AND kind = 'onboard'`,
      [tenantId],
    );
    return rows[0] ? toOperation(rows[0]) : undefined;
  }

  async listForTenant(
    tenantId: string,
    page: { limit: number; offset: number },
  ): Promise<{ items: OperationRecord[]; total: number }> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT ${COLUMNS} FROM operation WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3`,
      [tenantId, page.limit, page.offset],
    );
    const [{ n }] = await this.m.query(`SELECT count(*)::int AS n FROM operation WHERE tenant_id = $1`, [tenantId]);
    return { items: rows.map(toOperation), total: n as number };
  }

  async succeed(id: string, result: Record<string, unknown>): Promise<void> {
    await this.m.query(
      `UPDATE operation SET state = 'succeeded', result = $2::jsonb, error_code = NULL, error_message = NULL, retryable = NULL, updated_at = now(), ended_at = now() WHERE id = $1`,
      [id, JSON.stringify(result)],
    );
  }

  /** The tenant's onboarding succeeded (one statement; a no-op when it already had). */
  async succeedOnboarding(tenantId: string, result: Record<string, unknown>): Promise<void> {
    const st = this.succeedOnboardingStatement(tenantId, result);
    await this.m.query(st.text('true'), st.params);
  }

  /** `succeedOnboarding` as a guarded statement, for the handover's writes in one statement. */
  succeedOnboardingStatement(tenantId: string, result: Record<string, unknown>): GuardedStatement {
    return {
      text: (held) =>
        `UPDATE operation SET state = 'succeeded', result = $2::jsonb, error_code = NULL, error_message = NULL, retryable = NULL, updated_at = now(), ended_at = now()
         WHERE tenant_id = $1 AND kind = 'onboard' AND state <> 'succeeded' AND (${held})`,
      params: [tenantId, JSON.stringify(result)],
    };
  }

  /**
   * The tenant's running onboarding failed, as a guarded statement (step 1's end in one statement);
   * nothing when it is not running (as `onboarding` followed by `fail` when running).
   */
  failOnboardingStatement(
    tenantId: string,
    error: { code: string; message: string; retryable: boolean },
  ): GuardedStatement {
    return {
      text: (held) =>
        `UPDATE operation SET state = 'failed', error_code = $2, error_message = $3, retryable = $4, updated_at = now(), ended_at = now()
         WHERE tenant_id = $1 AND kind = 'onboard' AND state = 'running' AND (${held})`,
      params: [tenantId, error.code, error.message.slice(0, 2000), error.retryable],
    };
  }

  async fail(id: string, error: { code: string; message: string; retryable: boolean }): Promise<void> {
    await this.m.query(
      `UPDATE operation SET state = 'failed', error_code = $2, error_message = $3, retryable = $4, updated_at = now(), ended_at = now() WHERE id = $1`,
      [id, error.code, error.message.slice(0, 2000), error.retryable],
    );
  }

  /** A retry: running again, unless another operation of the tenant runs (then false). */
  async reopen(id: string): Promise<boolean> {
    const rows: unknown[] = await this.m.query(
      // (a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, count])
      `WITH reopened AS (
         UPDATE operation o SET state = 'running', error_code = NULL, error_message = NULL, retryable = NULL, updated_at = now(), ended_at = NULL
         WHERE o.id = $1 AND o.state = 'failed' AND NOT EXISTS (SELECT 1 FROM operation r WHERE r.tenant_id = o.tenant_id AND r.state = 'running') RETURNING o.id)
       SELECT id FROM reopened`,
      [id],
    );
    return rows.length === 1;
  }

  // ---- steps ---------------------------------------------------------------------------------

  async steps(operationId: string): Promise<OperationStepRecord[]> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT step, seq, status, attempt, started_at, ended_at, detail, error_code, error_message FROM operation_step WHERE operation_id = $1 ORDER BY seq`,
      [operationId],
    );
    return rows.map((r) => ({
      step: r.step as string,
      seq: r.seq as number,
      status: r.status as OperationStepStatus,
      attempt: r.attempt as number,
      startedAt: r.started_at as Date | null,
      endedAt: r.ended_at as Date | null,
      detail: (r.detail as Record<string, unknown> | null) ?? {},
      errorCode: r.error_code as string | null,
      errorMessage: r.error_message as string | null,
    }));
  }

  async stepStarted(operationId: string, step: string, seq: number): Promise<void> {
    await this.m.query(
      `INSERT INTO operation_step (operation_id, step, seq, status, started_at) VALUES ($1, $2, $3, 'running', now())
       ON CONFLICT (operation_id, step) DO UPDATE SET status = 'running',
         detail = CASE WHEN operation_step.status = 'failed' THEN NULL ELSE operation_step.detail END, attempt = operation_step.attempt + CASE WHEN operation_step.status = 'failed' THEN 1 ELSE 0 END,
         ended_at = NULL, error_code = NULL, error_message = NULL`,
      [operationId, step, seq],
    );
  }

  /** Progress inside a step (an intent, a task id) recorded before the step ends. */
  async mergeStepDetail(operationId: string, step: string, patch: Record<string, unknown>): Promise<void> {
    await this.m.query(
      `UPDATE operation_step SET detail = COALESCE(detail, '{}'::jsonb) || $3::jsonb WHERE operation_id = $1 AND step = $2`,
      [operationId, step, JSON.stringify(patch)],
    );
  }

  async stepEnded(
    operationId: string,
    step: string,
    status: 'succeeded' | 'skipped',
    detail?: Record<string, unknown>,
  ): Promise<void> {
    await this.m.query(
      `UPDATE operation_step SET status = $3, ended_at = now(), detail = COALESCE(detail, '{}'::jsonb) || COALESCE($4::jsonb, '{}'::jsonb) WHERE operation_id = $1 AND step = $2`,
      [operationId, step, status, detail ? JSON.stringify(detail) : null],
    );
  }

  async stepFailed(operationId: string, step: string, error: { code: string; message: string }): Promise<void> {
    await this.m.query(
      `UPDATE operation_step SET status = 'failed', ended_at = now(), error_code = $3, error_message = $4 WHERE operation_id = $1 AND step = $2`,
      [operationId, step, error.code, error.message.slice(0, 2000)],
    );
  }
}
