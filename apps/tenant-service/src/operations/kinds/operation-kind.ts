import { OperationKind } from '@tpo/contracts';
import { TenantRecord } from '../../tenants/tenant.repository';
import { OperationRecord, OperationStepRecord } from '../operation.repository';

/** What a step sees: its operation, the tenant, its own stored progress, and a fenced way to add to it. */
export interface OperationStepContext {
  readonly op: OperationRecord;
  readonly tenant: TenantRecord;
  /** Progress this step recorded in earlier tries (intent, task id, what it found). */
  readonly detail: Record<string, unknown>;
  /** Commits progress only while this worker holds the job's lease (throws LeaseLostError otherwise). */
  record(patch: Record<string, unknown>): Promise<void>;
  /** Commits a local write of the step (fenced like `record`). */
  write(work: () => Promise<void>): Promise<void>;
  readonly signal: AbortSignal;
}

export interface OperationStepOutcome {
  /** Nothing to do (e.g. the Integration Server has no such tenant any more). */
  skipped?: boolean;
  /**
   * The step asked another service and waits for its answer: the job ends here, the operation
   * stays running, and the answer's handler ends the step and runs the job again.
   */
  waiting?: boolean;
  detail?: Record<string, unknown>;
}

/**
 * One step of a lifecycle operation. `run` must be idempotent: after a crash (also between an
 * external call and the commit of its result) it runs again and must look up what it already did.
 */
export interface OperationStep {
  readonly name: string;
  run(ctx: OperationStepContext): Promise<OperationStepOutcome>;
}

/**
 * An operation kind: its steps in order and what its success means for the tenant. Adding a kind
 * is one file in this folder plus its entry in `operation-kinds.ts`.
 */
export interface OperationKindHandler {
  readonly kind: OperationKind;
  readonly steps: readonly OperationStep[];
  /**
   * The steps hand the operation over to the step services' pipeline (add-vms): the job ends after
   * them and the operation ends with the pipeline's last event (OperationProgressUseCase).
   */
  readonly handsOff?: boolean;
  /** Runs in the transaction that ends the operation: tenant lifecycle, outcome event. Returns the operation's result. */
  complete(op: OperationRecord, tenant: TenantRecord, steps: OperationStepRecord[]): Promise<Record<string, unknown>>;
}
