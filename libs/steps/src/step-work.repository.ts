import { Injectable } from '@nestjs/common';
import { OnboardingStep } from '@tpo/contracts';
import { FencedReader, FencedStatement, FencedWriter } from '@tpo/jobs';
import { RequestContext } from '@tpo/platform';
import { chainStatement, ChainLink, UnitOfWork, whereClause } from '@tpo/persistence';

export type StepWorkStatus = 'pending' | 'running' | 'succeeded' | 'failed';
export type VmStatus = 'pending' | 'in_progress' | 'succeeded' | 'failed';

export interface StepWork<I = Record<string, unknown>, O = Record<string, unknown>> {
  tenantId: string;
  /** '' for the tenant's onboarding; the operation id for a later operation (e.g. add-vms). */
  runId: string;
  step: OnboardingStep;
  siteId: string;
  status: StepWorkStatus;
  attempt: number;
  input: I;
  output: O | null;
  errorCode: string | null;
  errorMessage: string | null;
  retryable: boolean | null;
  createdAt: Date;
  updatedAt: Date;
  /** The step's VMs (as `vms` reads them), when the step was loaded with them (StepWorkRepository.start). */
  vms?: StepVm[];
}

/** What a progress write sets on a VM row. */
export interface VmState {
  status: VmStatus;
  detail?: object;
  errorCode?: string;
  errorMessage?: string;
}

/** One VM's new state, by BIOS UUID (StepWorkRepository.setVms). */
export type VmChange = VmState & { biosUuid: string };

export interface StepVm {
  biosUuid: string;
  name: string;
  status: VmStatus;
  detail: Record<string, unknown> | null;
  errorCode: string | null;
  errorMessage: string | null;
  updatedAt: Date;
}

const WORK =
  'tenant_id, run_id, step, site_id, status, attempt, input, output, error_code, error_message, retryable, created_at, updated_at';

function toVm(r: Record<string, unknown>): StepVm {
  return {
    biosUuid: r.bios_uuid as string,
    name: r.name as string,
    status: r.status as VmStatus,
    detail: r.detail as Record<string, unknown> | null,
    errorCode: r.error_code as string | null,
    errorMessage: r.error_message as string | null,
    updatedAt: r.updated_at instanceof Date ? r.updated_at : new Date(r.updated_at as string),
  };
}

function toWork(r: Record<string, unknown>): StepWork {
  return {
    tenantId: r.tenant_id as string,
    runId: r.run_id as string,
    step: r.step as OnboardingStep,
    siteId: r.site_id as string,
    status: r.status as StepWorkStatus,
    attempt: r.attempt as number,
    input: r.input as Record<string, unknown>,
    output: r.output as Record<string, unknown> | null,
    errorCode: r.error_code as string | null,
    errorMessage: r.error_message as string | null,
    retryable: r.retryable as boolean | null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

/**
 * A step as `createChained` records it running, for a handler that starts it at once (StepIntake):
 * the same values the row and its VM rows hold (the table's defaults: first attempt, no output, no
 * error; the VMs pending, in `vms`' order), but the times, which are this process's clock instead of the
 * statement's `now()` (no step reads them).
 */
export function recordedStepWork<I>(
  tenantId: string,
  step: OnboardingStep,
  siteId: string,
  input: I,
  vms: { biosUuid: string; name: string }[],
): StepWork<I> {
  const now = new Date();
  return {
    tenantId,
    runId: currentRunId(),
    step,
    siteId,
    status: 'running',
    attempt: 1,
    // A copy in plain JSON, as the row's jsonb gives it back: the handler does not share the caller's object.
    input: JSON.parse(JSON.stringify(input)) as I,
    output: null,
    errorCode: null,
    errorMessage: null,
    retryable: null,
    createdAt: now,
    updatedAt: now,
    vms: vms
      .map((v) => ({
        biosUuid: v.biosUuid,
        name: v.name,
        status: 'pending' as const,
        detail: null,
        errorCode: null,
        errorMessage: null,
        updatedAt: now,
      }))
      // The order `vms` and `start` read them in (ORDER BY name: Postgres' collation, not JS's, for
      // names beyond ASCII; a handler must not depend on it, it only keeps the two ways alike).
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

/**
 * The run the current work belongs to: the operation id carried by the triggering event or job
 * (issue 10), '' for the onboarding. Every read and write below is scoped to it, so a step service
 * runs its step once per operation without knowing about operations.
 */
export function currentRunId(): string {
  return RequestContext.current()?.operationId ?? '';
}

/** The only code that touches `step_work` and `step_vm`. */
@Injectable()
export class StepWorkRepository {
  constructor(private readonly uow: UnitOfWork) {}

  private get m() {
    return this.uow.manager();
  }

  /**
   * Records a step's input and its VMs once, in one statement; false when it was already recorded
   * (a redelivered event): the VM rows are written only with a new step record.
   */
  async create(
    tenantId: string,
    step: OnboardingStep,
    siteId: string,
    input: object,
    vms: { biosUuid: string; name: string }[] = [],
  ): Promise<boolean> {
    const { work } = await this.createChained(tenantId, step, siteId, input, vms);
    return work === 1;
  }

  /**
   * `create` chained with other writes in the same statement (`chainStatement`): `gate` (e.g. the
   * event's inbox claim) comes first and the step is recorded only if it wrote its row; `then`
   * (e.g. the step's job) follow, gated by the step record, named `work`. Returns each link's row
   * count by name (`work`: 1 when the step was recorded, 0 for a redelivered event or a step
   * already recorded). `chain.running` records the step already running: for a step whose job the
   * same statement inserts claimed by this replica (StepIntake), so the job's start has nothing to
   * mark.
   */
  async createChained(
    tenantId: string,
    step: OnboardingStep,
    siteId: string,
    input: object,
    vms: { biosUuid: string; name: string }[] = [],
    chain: { gate?: ChainLink; then?: (gate: string) => ChainLink[]; running?: boolean } = {},
  ): Promise<Record<string, number>> {
    const vmRows = JSON.stringify(vms.map((vm) => ({ bios_uuid: vm.biosUuid, name: vm.name })));
    const run = currentRunId();
    const statement = chainStatement([
      ...(chain.gate ? [chain.gate] : []),
      {
        name: 'work',
        gate: chain.gate?.name,
        text: (bind, gate) =>
          `INSERT INTO step_work (tenant_id, step, site_id, status, input, run_id)
           SELECT ${bind(tenantId)}::uuid, ${bind(step)}::text, ${bind(siteId)}::text, ${chain.running ? "'running'" : "'pending'"}, ${bind(JSON.stringify(input))}::jsonb, ${bind(run)}::text
           ${gate ? `FROM ${gate}` : ''} ON CONFLICT DO NOTHING RETURNING tenant_id, step, run_id`,
      },
      {
        name: 'vms',
        gate: 'work',
        text: (bind, gate) =>
          `INSERT INTO step_vm (tenant_id, step, bios_uuid, name, status, run_id)
           SELECT w.tenant_id, w.step, v.bios_uuid, v.name, 'pending', w.run_id FROM ${gate} w, jsonb_to_recordset(${bind(vmRows)}::jsonb) AS v(bios_uuid uuid, name text)
           ON CONFLICT DO NOTHING RETURNING bios_uuid`,
      },
      ...(chain.then?.('work') ?? []),
    ]);
    const [row] = (await this.m.query(statement.text, statement.params)) as Record<string, number>[];
    return row;
  }

  async find<I, O>(tenantId: string, step: OnboardingStep, forUpdate = false): Promise<StepWork<I, O> | undefined> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT ${WORK} FROM step_work WHERE tenant_id = $1 AND step = $2 AND run_id = $3 ${forUpdate ? 'FOR UPDATE' : ''}`,
      [tenantId, step, currentRunId()],
    );
    return rows[0] ? (toWork(rows[0]) as StepWork<I, O>) : undefined;
  }

  /** `sites`: only these sites (a site-scoped caller); undefined = every site. */
  async list(
    step: OnboardingStep,
    filter: { status?: StepWorkStatus; siteId?: string; sites?: string[]; limit: number; offset: number },
  ) {
    const { clause, params } = whereClause([
      ['step = $?', step],
      ['status = $?', filter.status],
      ['site_id = $?', filter.siteId],
      ['site_id = ANY($?)', filter.sites],
    ]);
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT ${WORK} FROM step_work ${clause} ORDER BY created_at DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, filter.limit, filter.offset],
    );
    const [{ n }] = await this.m.query(`SELECT count(*)::int AS n FROM step_work ${clause}`, params);
    return { items: rows.map(toWork), total: n as number };
  }

  /**
   * Marks a pending step running; through `write` (the job's fenced writer) when given, so a
   * worker that lost the job changes nothing.
   */
  async setRunning(tenantId: string, step: OnboardingStep, write?: FencedWriter): Promise<void> {
    await this.execute(
      {
        text: (held) =>
          `UPDATE step_work SET status = 'running', updated_at = now() WHERE tenant_id = $1 AND step = $2 AND run_id = $3 AND status = 'pending' AND ${held}`,
        params: [tenantId, step, currentRunId()],
      },
      write,
    );
  }

  /**
   * A step job's start in one statement: marks the step running if it is pending, and returns it as
   * it then is (undefined when there is none), with its VMs when `vms` is set, through `read` (the
   * job's fenced reader): the job's lease is checked in the same statement, and a worker that lost
   * the job changes nothing (LeaseLostError). The same as `find`, then `setRunning` for a pending step
   * (and `vms`), in one round trip instead of two or three.
   */
  async start<I, O>(
    tenantId: string,
    step: OnboardingStep,
    read: FencedReader,
    options: { vms?: boolean } = {},
  ): Promise<StepWork<I, O> | undefined> {
    const key = 'tenant_id = $1 AND step = $2 AND run_id = $3';
    // The VMs as `vms` reads them (same columns and order), aggregated into the step's row.
    const vms = options.vms
      ? `, (SELECT COALESCE(jsonb_agg(jsonb_build_object('bios_uuid', v.bios_uuid, 'name', v.name, 'status', v.status,
             'detail', v.detail, 'error_code', v.error_code, 'error_message', v.error_message, 'updated_at', v.updated_at)
             ORDER BY v.name), '[]'::jsonb) FROM step_vm v WHERE v.tenant_id = $1 AND v.step = $2 AND v.run_id = $3) AS vms`
      : '';
    const rows = await read({
      ctes: (held) =>
        `started AS (UPDATE step_work SET status = 'running', updated_at = now() WHERE ${key} AND status = 'pending' AND ${held} RETURNING ${WORK})`,
      // The statement's snapshot predates its UPDATE: a started step comes from RETURNING, any other as it was.
      select: `SELECT w.*${vms} FROM (
                 SELECT ${WORK} FROM started
                 UNION ALL SELECT ${WORK} FROM step_work WHERE ${key} AND NOT EXISTS (SELECT 1 FROM started)) w`,
      params: [tenantId, step, currentRunId()],
    });
    if (!rows[0]) return undefined;
    const work = toWork(rows[0]) as StepWork<I, O>;
    if (options.vms) work.vms = (rows[0].vms as Record<string, unknown>[]).map(toVm);
    return work;
  }

  /**
   * Records progress (e.g. an external task id before polling it) without changing the status;
   * through `write` (the job's fenced writer) when given.
   */
  async mergeOutput(tenantId: string, step: OnboardingStep, patch: object, write?: FencedWriter): Promise<void> {
    await this.execute(
      {
        text: (held) =>
          `UPDATE step_work SET output = COALESCE(output, '{}'::jsonb) || $3::jsonb, updated_at = now() WHERE tenant_id = $1 AND step = $2 AND run_id = $4 AND ${held}`,
        params: [tenantId, step, JSON.stringify(patch), currentRunId()],
      },
      write,
    );
  }

  /** A statement through the job's fenced writer, or as it is (in the transaction in scope, if any). */
  private async execute(statement: FencedStatement, write?: FencedWriter): Promise<number> {
    if (write) return write(statement);
    const r: unknown = await this.m.query(statement.text('TRUE'), statement.params);
    return Array.isArray(r) && typeof r[1] === 'number' ? r[1] : 0;
  }

  /**
   * Serialises a check-then-write per site (e.g. license accounting) until the current transaction
   * ends: two activations on one site cannot both read the same remaining capacity.
   */
  async lockSite(purpose: string, siteId: string): Promise<void> {
    await this.m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${purpose}:${siteId}`]);
  }

  /** VMs currently counted against a site's license by this step (running or done), all runs but the current one of `exceptTenantId`. */
  async sumOutputNumber(step: OnboardingStep, siteId: string, key: string, exceptTenantId: string): Promise<number> {
    const [row] = await this.m.query(
      `SELECT COALESCE(sum((output->>$3)::int), 0)::int AS n FROM step_work
       WHERE step = $1 AND site_id = $2 AND NOT (tenant_id = $4 AND run_id = $5) AND status IN ('running', 'succeeded') AND output ? $3`,
      [step, siteId, key, exceptTenantId, currentRunId()],
    );
    return row.n as number;
  }

  /**
   * Takes `amount` of a number counted per site (e.g. licensed VMs), in one transaction: the site's
   * lock (lockSite, its own statement, so that the count's snapshot is taken after it), then ONE
   * statement through `read` (the job's fenced reader) that counts what the site's other steps hold
   * (as sumOutputNumber) and merges `patch` into this step's output only if that count is at most
   * `budget` (null: no limit). Returns the count and whether `patch` was merged. Four statements
   * (BEGIN, lock, this one, COMMIT) where `record` with lockSite, sumOutputNumber and mergeOutput
   * took six (its lease check, the sum and the merge each one).
   */
  async reserveOutputNumber(
    tenantId: string,
    step: OnboardingStep,
    siteId: string,
    request: { lock: string; key: string; budget: number | null; patch: object },
    read: FencedReader,
  ): Promise<{ used: number; reserved: boolean }> {
    return this.uow.run(async () => {
      await this.lockSite(request.lock, siteId);
      const [row] = await read<{ used: number; reserved: number }>({
        ctes: (held) =>
          `used AS (
             SELECT COALESCE(sum((output->>$4)::int), 0)::int AS n FROM step_work
              WHERE step = $2 AND site_id = $5 AND NOT (tenant_id = $1 AND run_id = $3) AND status IN ('running', 'succeeded') AND output ? $4),
           reserved AS (
             UPDATE step_work SET output = COALESCE(output, '{}'::jsonb) || $6::jsonb, updated_at = now()
              WHERE tenant_id = $1 AND step = $2 AND run_id = $3 AND ($7::bigint IS NULL OR (SELECT n FROM used) <= $7::bigint) AND ${held}
              RETURNING 1)`,
        select: `SELECT (SELECT n FROM used) AS used, (SELECT count(*) FROM reserved)::int AS reserved`,
        params: [tenantId, step, currentRunId(), request.key, siteId, JSON.stringify(request.patch), request.budget],
      });
      return { used: row.used, reserved: row.reserved === 1 };
    });
  }

  /** The same count for every site at once (license headroom shown to operators). */
  async sumOutputNumberBySite(step: OnboardingStep, key: string): Promise<{ siteId: string; total: number }[]> {
    const rows: { site_id: string; n: number }[] = await this.m.query(
      `SELECT site_id, COALESCE(sum((output->>$2)::int), 0)::int AS n FROM step_work WHERE step = $1 AND status IN ('running', 'succeeded') AND output ? $2 GROUP BY site_id ORDER BY site_id`,
      [step, key],
    );
    return rows.map((r) => ({ siteId: r.site_id, total: r.n }));
  }

  /**
   * Lowers a counted number of one tenant across all its runs (e.g. licensed VMs after a
   * remove-vms or a deprovision): by `by`, or to 0 when `by` is undefined. Returns what was released.
   */
  async releaseOutputNumber(tenantId: string, step: OnboardingStep, key: string, by?: number): Promise<number> {
    const rows: { run_id: string; n: number }[] = await this.m.query(
      `SELECT run_id, (output->>$3)::int AS n FROM step_work WHERE tenant_id = $1 AND step = $2 AND output ? $3 AND (output->>$3)::int > 0 ORDER BY created_at DESC FOR UPDATE`,
      [tenantId, step, key],
    );
    let left = by ?? Number.MAX_SAFE_INTEGER;
    let released = 0;
    for (const r of rows) {
      const take = Math.min(left, r.n);
      if (take <= 0) break;
      await this.m.query(
        `UPDATE step_work SET output = output || jsonb_build_object($4::text, $5::int), updated_at = now() WHERE tenant_id = $1 AND step = $2 AND run_id = $3`,
        [tenantId, step, r.run_id, key, r.n - take],
      );
      left -= take;
      released += take;
    }
    return released;
  }

  async succeed(tenantId: string, step: OnboardingStep, output: object): Promise<void> {
    await this.execute(this.succeedStatement(tenantId, step, output));
  }

  /** `succeed` as a guarded statement, to commit in one statement with the job's end (JobContext.succeedWith). */
  succeedStatement(tenantId: string, step: OnboardingStep, output: object): FencedStatement {
    return {
      text: (held) =>
        `UPDATE step_work SET status = 'succeeded', output = $3::jsonb, error_code = NULL, error_message = NULL, retryable = NULL, updated_at = now() WHERE tenant_id = $1 AND step = $2 AND run_id = $4 AND ${held}`,
      params: [tenantId, step, JSON.stringify(output), currentRunId()],
    };
  }

  async fail(
    tenantId: string,
    step: OnboardingStep,
    error: { code: string; message: string; retryable: boolean },
    output?: object,
  ): Promise<void> {
    await this.execute(this.failStatement(tenantId, step, error, output));
  }

  /** `fail` as a guarded statement, to commit in one statement with the job's end (JobContext.failWith). */
  failStatement(
    tenantId: string,
    step: OnboardingStep,
    error: { code: string; message: string; retryable: boolean },
    output?: object,
  ): FencedStatement {
    return {
      text: (held) =>
        `UPDATE step_work SET status = 'failed', error_code = $3, error_message = $4, retryable = $5, output = COALESCE($6::jsonb, output), updated_at = now()
         WHERE tenant_id = $1 AND step = $2 AND run_id = $7 AND ${held}`,
      params: [
        tenantId,
        step,
        error.code,
        error.message.slice(0, 2000),
        error.retryable,
        output ? JSON.stringify(output) : null,
        currentRunId(),
      ],
    };
  }

  /** A retry: back to pending with the new attempt number; failed VMs are tried again. */
  async reopen(tenantId: string, step: OnboardingStep, attempt: number): Promise<boolean> {
    const rows: unknown[] = await this.m.query(
      `WITH reopened AS (
         UPDATE step_work SET status = 'pending', attempt = $3, error_code = NULL, error_message = NULL, retryable = NULL, updated_at = now()
         WHERE tenant_id = $1 AND step = $2 AND run_id = $4 AND status = 'failed' RETURNING tenant_id)
       SELECT * FROM reopened`,
      [tenantId, step, attempt, currentRunId()],
    );
    if (rows.length === 0) return false;
    await this.m.query(
      `UPDATE step_vm SET status = 'pending', error_code = NULL, error_message = NULL, updated_at = now() WHERE tenant_id = $1 AND step = $2 AND run_id = $3 AND status = 'failed'`,
      [tenantId, step, currentRunId()],
    );
    return true;
  }

  async vms(tenantId: string, step: OnboardingStep): Promise<StepVm[]> {
    const rows: Record<string, unknown>[] = await this.m.query(
      `SELECT bios_uuid, name, status, detail, error_code, error_message, updated_at FROM step_vm WHERE tenant_id = $1 AND step = $2 AND run_id = $3 ORDER BY name`,
      [tenantId, step, currentRunId()],
    );
    return rows.map(toVm);
  }

  /** One VM's state; through `write` (the job's fenced writer) when given. */
  async setVm(
    tenantId: string,
    step: OnboardingStep,
    biosUuid: string,
    state: VmState,
    write?: FencedWriter,
  ): Promise<void> {
    await this.setVms(tenantId, step, [{ biosUuid, ...state }], write);
  }

  /**
   * Several VMs' states in one statement (they commit together); through `write` (the job's fenced
   * writer) when given. A `detail` left out keeps the VM's current one.
   */
  async setVms(tenantId: string, step: OnboardingStep, changes: VmChange[], write?: FencedWriter): Promise<void> {
    if (changes.length === 0) return;
    await this.execute(this.setVmsStatement(tenantId, step, changes), write);
  }

  /** `setVms` as a guarded statement, e.g. to commit with the step's end (StepResult.alsoWrite). */
  setVmsStatement(tenantId: string, step: OnboardingStep, changes: VmChange[]): FencedStatement {
    const rows = changes.map((c) => ({
      bios_uuid: c.biosUuid,
      status: c.status,
      detail: c.detail ?? null,
      error_code: c.errorCode ?? null,
      error_message: c.errorMessage?.slice(0, 2000) ?? null,
    }));
    return {
      text: (held) =>
        `UPDATE step_vm v SET status = c.status, detail = COALESCE(c.detail, v.detail), error_code = c.error_code, error_message = c.error_message, updated_at = now()
         FROM jsonb_to_recordset($4::jsonb) AS c(bios_uuid uuid, status text, detail jsonb, error_code text, error_message text)
         WHERE v.tenant_id = $1 AND v.step = $2 AND v.run_id = $3 AND v.bios_uuid = c.bios_uuid AND ${held}`,
      params: [tenantId, step, currentRunId(), JSON.stringify(rows)],
    };
  }
}
