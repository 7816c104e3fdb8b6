import { waitForVendor } from '@tpo/platform';
import { KscValue } from './ksc-codec';
import { KscAsyncActionError, KscTimeoutError } from './errors';
import { asRecord, KscRecord } from './ksc-records';
import { KscSession } from './ksc-session';

export interface WaitForActionOptions {
  /** Absolute deadline (epoch ms or Date); default 10 minutes from now. */
  deadline?: number | Date;
  signal?: AbortSignal;
}

export interface ActionOutcome {
  stateCode: number;
  stateData: KscRecord;
}

export const MIN_CHECK_DELAY_MS = 500;
export const MAX_CHECK_DELAY_MS = 10_000;

/**
 * Polls AsyncActionStateChecker.CheckActionState (ksc-openapi.md §3.5) on the session that started
 * the action, never sooner than lNextCheckDelay (floored at 500 ms, capped at 10 s), until it is
 * finalized. Always poll to completion: servers drop connections with unread finalized actions.
 */
export class AsyncActions {
  async checkActionState(session: KscSession, guid: string) {
    const r = await session.call(
      'AsyncActionStateChecker.CheckActionState',
      { wstrActionGuid: guid },
      { idempotent: false },
    );
    return {
      finalized: r.bFinalized === true,
      succeeded: r.bSuccededFinalized === true,
      stateCode: typeof r.lStateCode === 'number' ? r.lStateCode : 0,
      stateData: asRecord(r.pStateData as KscValue),
      nextCheckDelayMs: typeof r.lNextCheckDelay === 'number' ? r.lNextCheckDelay : MIN_CHECK_DELAY_MS,
    };
  }

  /** Resolves on success; throws KscAsyncActionError on failed finalization, KscTimeoutError past the deadline. */
  async waitForAction(session: KscSession, guid: string, opts: WaitForActionOptions = {}): Promise<ActionOutcome> {
    const deadline = opts.deadline instanceof Date ? opts.deadline.getTime() : (opts.deadline ?? Date.now() + 600_000);
    for (;;) {
      opts.signal?.throwIfAborted();
      const s = await this.checkActionState(session, guid);
      if (s.finalized) {
        if (!s.succeeded) throw new KscAsyncActionError(s.stateCode, s.stateData, guid);
        return { stateCode: s.stateCode, stateData: s.stateData };
      }
      const delay = Math.min(MAX_CHECK_DELAY_MS, Math.max(MIN_CHECK_DELAY_MS, s.nextCheckDelayMs));
      if (Date.now() + delay > deadline) throw new KscTimeoutError(`KSC action ${guid} still running at the deadline`);
      await waitForVendor(delay, opts.signal);
    }
  }
}
