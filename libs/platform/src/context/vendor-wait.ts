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
 * The pause between two checks of a vendor task (a task poll, `lNextCheckDelay`). Waiting costs
 * the vendor nothing, so inside a job the job's concurrency slot is free meanwhile (the job keeps
 * its lease and fencing token, only the slot is lent out) and held again before the next check:
 * the per-site limit bounds the calls made at once, not the tasks waited for. Outside a job it is a
 * plain sleep. Rejects with the signal's reason when aborted.
 */
export async function waitForVendor(ms: number, signal?: AbortSignal): Promise<void> {
  const slot = slots.get();
  if (!slot) return sleep(ms, signal);
  slot.release();
  try {
    await sleep(ms, signal);
  } finally {
    await slot.reacquire(signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
