import { AmbientSlot } from './ambient-slot';

/**
 * A scarce slot that the current work holds (a job runner's concurrency slot) and may lend out
 * while it only waits: `release` frees it, `reacquire` resolves once it is held again.
 */
export interface WaitSlot {
  release(): void;
  reacquire(signal?: AbortSignal): Promise<void>;
}

const slots = new AmbientSlot<WaitSlot>();

/** Runs `work` with `slot` as the slot that waits for vendor tasks inside it lend out. */
export function runWithWaitSlot<T>(slot: WaitSlot, work: () => T): T {
  return slots.run(slot, work);
}

/**
 * A pause that news may shorten: `subscribe` registers a callback for that news (e.g. the first
 * duration learned for a kind of task) and returns what unregisters it; when it fires, `rest` tells
 * how much longer to wait from then (0: check at once). The pause never ends later than planned.
 */
export interface VendorPause {
  ms: number;
  subscribe(wake: () => void): () => void;
  rest(): number;
}

/**
 * The pause between two checks of a vendor task (a task poll, `lNextCheckDelay`). Waiting costs
 * the vendor nothing, so inside a job the job's concurrency slot is free meanwhile (the job keeps
 * its lease and fencing token, only the slot is lent out) and held again before the next check:
 * the per-site limit bounds the calls made at once, not the tasks waited for. Outside a job it is a
 * plain sleep. Rejects with the signal's reason when aborted.
 */
export async function waitForVendor(pause: number | VendorPause, signal?: AbortSignal): Promise<void> {
  const slot = slots.get();
  if (!slot) return sleep(pause, signal);
  slot.release();
  try {
    await sleep(pause, signal);
  } finally {
    await slot.reacquire(signal);
  }
}

function sleep(pause: number | VendorPause, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const ms = Math.max(0, typeof pause === 'number' ? pause : pause.ms);
    const endsBy = Date.now() + ms;
    // When the pause ends, by the clock (setTimeout may fire a millisecond early against Date.now(),
    // and a KSC action checked 1 ms before its lNextCheckDelay is refused: STDE_UNAVAIL, §3.5).
    let endsAt = endsBy;
    let timer = setTimeout(done, ms);
    let woken = false;
    // The news may come at once, inside `subscribe` (already there when the wait began).
    const unsubscribe =
      typeof pause === 'number'
        ? undefined
        : pause.subscribe(() => {
            if (woken) return;
            woken = true;
            clearTimeout(timer);
            endsAt = Math.min(Date.now() + Math.max(0, pause.rest()), endsBy);
            timer = setTimeout(done, Math.max(0, endsAt - Date.now()));
          });
    function settle() {
      unsubscribe?.();
      signal?.removeEventListener('abort', onAbort);
    }
    function done() {
      const left = endsAt - Date.now();
      if (left > 0) {
        timer = setTimeout(done, left);
        return;
      }
      settle();
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      settle();
      reject(signal?.reason ?? new Error('aborted'));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
