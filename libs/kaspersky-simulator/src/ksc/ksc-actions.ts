import { randomBytes } from 'node:crypto';
import { SimulatorAssumptions } from '../config/assumptions';
import { FaultController } from '../faults/faults';
import { KscModelError } from './ksc-model';
import { errorNumbers, KscWireError } from './ksc-wire-error';

interface SimAction {
  guid: string;
  method: string;
  sessionToken: string;
  created: Date;
  finishesAt: number;
  /** Earliest time the next CheckActionState is allowed (after a not-finalized answer). */
  nextCheckAt?: number;
  done: boolean;
  success: boolean;
  stateCode: number;
  stateData: Record<string, unknown>;
  timer?: NodeJS.Timeout;
}

export interface ActionState {
  bFinalized: boolean;
  bSuccededFinalized: boolean;
  lStateCode: number;
  pStateData: Record<string, unknown>;
  lNextCheckDelay: number;
}

/**
 * Asynchronous actions polled through AsyncActionStateChecker (ksc-openapi.md §3.5). The work runs
 * after the fault controller's task duration for the method; an injected failure for the method
 * name (taken when the action starts) ends it unsuccessfully.
 * ASSUMPTION (§3.5): lStateCode 1 = OK, 0 = failure for every action (documented for RemoveGroup).
 */
export class KscActions {
  private readonly actions = new Map<string, SimAction>();

  constructor(
    private readonly faults: FaultController,
    private readonly assumptions: () => SimulatorAssumptions,
  ) {}

  start(method: string, sessionToken: string, work: () => void): string {
    const guid = randomBytes(16).toString('hex').toUpperCase();
    const delay = this.faults.taskDuration(method);
    const injected = this.faults.takeTaskFailure(method);
    const action: SimAction = {
      guid,
      method,
      sessionToken,
      created: new Date(),
      finishesAt: Date.now() + delay,
      done: false,
      success: false,
      stateCode: 0,
      stateData: {},
    };
    this.actions.set(guid, action);
    action.timer = setTimeout(() => this.finish(action, injected, work), delay);
    return guid;
  }

  private finish(action: SimAction, injected: { code: string; message: string } | undefined, work: () => void): void {
    action.timer = undefined;
    action.done = true;
    if (injected) return this.fail(action, injected.code, injected.message);
    try {
      work();
      action.success = true;
      action.stateCode = 1;
    } catch (e) {
      if (e instanceof KscModelError) this.fail(action, e.code, e.message);
      else if (e instanceof KscWireError) this.fail(action, e.codeName, e.message);
      else this.fail(action, 'STDE_UNAVAIL', (e as Error).message);
    }
  }

  private fail(action: SimAction, code: string, message: string): void {
    const n =
      errorNumbers(code) ??
      (/^\d+$/.test(code) ? { code: Number(code), module: 'KLSTD' } : { code: 1, module: 'KLSTD' });
    action.success = false;
    action.stateCode = 0;
    action.stateData = {
      GNRL_EA_DESCRIPTION: message,
      KLBLAG_ERROR_INFO: {
        KLBLAG_ERROR_CODE: n.code,
        KLBLAG_ERROR_SUBCODE: 0,
        KLBLAG_ERROR_MODULE: n.module,
        KLBLAG_ERROR_MSG: message,
      },
    };
  }

  /** CheckActionState: same-session rule, "not before lNextCheckDelay", and the id is gone once finalized. */
  check(guid: string, sessionToken: string): ActionState {
    const a = this.actions.get(guid);
    if (!a) throw new KscWireError('STDE_NOTFOUND', `action ${guid} not found (unknown or already finalized)`);
    if (a.sessionToken !== sessionToken)
      throw new KscWireError('STDE_NOACCESS', `action ${guid} was started by another session`);
    const now = Date.now();
    if (this.assumptions().kscEnforceCheckDelay && a.nextCheckAt !== undefined && now < a.nextCheckAt) {
      throw new KscWireError(
        'STDE_UNAVAIL',
        `action ${guid} checked ${a.nextCheckAt - now} ms before lNextCheckDelay elapsed`,
      );
    }
    if (!a.done) {
      const delay = this.assumptions().kscAsyncCheckDelayMs;
      a.nextCheckAt = now + delay;
      return { bFinalized: false, bSuccededFinalized: false, lStateCode: 0, pStateData: {}, lNextCheckDelay: delay };
    }
    this.actions.delete(guid);
    return {
      bFinalized: true,
      bSuccededFinalized: a.success,
      lStateCode: a.stateCode,
      pStateData: a.stateData,
      lNextCheckDelay: 0,
    };
  }

  snapshot() {
    return [...this.actions.values()].map((a) => ({
      guid: a.guid,
      method: a.method,
      created: a.created,
      done: a.done,
      success: a.success,
      stateCode: a.stateCode,
      stateData: a.stateData,
    }));
  }

  stop(): void {
    for (const a of this.actions.values()) if (a.timer) clearTimeout(a.timer);
    this.actions.clear();
  }
}
