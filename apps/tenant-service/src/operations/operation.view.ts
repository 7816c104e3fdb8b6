import { StepRecord } from '../tenants/tenant.repository';
import { OperationRecord, OperationStepRecord } from './operation.repository';

export function operationSummary(op: OperationRecord) {
  const { scope: _scope, ...rest } = op;
  return rest;
}

/** An operation with its steps; an onboarding's steps are the pipeline's timeline. */
export function operationDetail(op: OperationRecord, steps: OperationStepRecord[], onboardingTimeline?: StepRecord[]) {
  const shown = onboardingTimeline
    ? onboardingTimeline.map((s) => ({
        step: s.step,
        status: s.status,
        attempt: s.attempt,
        startedAt: s.startedAt,
        endedAt: s.endedAt,
        detail: { ...(s.details ?? {}), externalTaskIds: s.externalTaskIds },
        errorCode: s.errorCode,
        errorMessage: s.errorMessage,
      }))
    : steps.map(({ seq: _seq, ...s }) => s);
  return { ...operationSummary(op), steps: shown };
}
