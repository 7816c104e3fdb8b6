import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The values that follow the current work across awaits (the request's correlation ids, the job's
 * lendable slot, the open transaction), all in one AsyncLocalStorage.
 *
 * On Node 20 every AsyncLocalStorage instance in use adds its own property to every promise the
 * process creates, through a JavaScript hook called per promise. In a bare loop of awaits three
 * instances cost twice what one does; in the services, whose hooks took ~3-4% of their samples, one
 * instance saves a fraction of that (docs/performance.md 11.y). One instance holds them all: a
 * frame is a small array with one entry per slot, copied when a slot is entered.
 */
const storage = new AsyncLocalStorage<readonly unknown[]>();
let slots = 0;

/** One value carried by the ambient frame; `run` scopes it to a call and everything it awaits. */
export class AmbientSlot<T> {
  private readonly index = slots++;

  /** Runs `fn` with this slot set to `value`; the other slots keep what the caller had. */
  run<R>(value: T, fn: () => R): R {
    const outer = storage.getStore();
    const frame = outer ? outer.slice() : new Array<unknown>(slots).fill(undefined);
    frame[this.index] = value;
    return storage.run(frame, fn);
  }

  /** The value set by the nearest enclosing `run`, undefined outside any. */
  get(): T | undefined {
    return storage.getStore()?.[this.index] as T | undefined;
  }
}
