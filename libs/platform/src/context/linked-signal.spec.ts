import { getEventListeners } from 'node:events';
import { linkSignals } from './linked-signal';

describe('linkSignals', () => {
  it('aborts with the reason of the source that aborted', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals([a.signal, undefined, b.signal]);
    expect(linked.signal.aborted).toBe(false);
    b.abort(new Error('lease lost'));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe('lease lost');
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
  });

  it('is aborted at once when a source already is', () => {
    const a = new AbortController();
    a.abort(new Error('stopping'));
    const other = new AbortController();
    const linked = linkSignals([other.signal, a.signal]);
    expect(linked.signal.aborted).toBe(true);
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
  });

  it('aborts with a TimeoutError at the deadline', async () => {
    const linked = linkSignals([], 20);
    await new Promise((r) => setTimeout(r, 60));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).name).toBe('TimeoutError');
  });

  it('leaves nothing on a long-lived source once disposed, and no longer aborts', async () => {
    const forever = new AbortController();
    for (let i = 0; i < 1000; i++) linkSignals([forever.signal], 50).dispose();
    expect(getEventListeners(forever.signal, 'abort')).toHaveLength(0);
    const linked = linkSignals([forever.signal], 20);
    linked.dispose();
    await new Promise((r) => setTimeout(r, 60));
    forever.abort();
    expect(linked.signal.aborted).toBe(false);
  });

  it('lets a busy source carry one listener per link in flight without a leak warning', () => {
    // Node prints "Possible EventTarget memory leak" once past 10 listeners and flags the target as
    // warned (its own symbol): one listener per job or call in flight is no leak.
    const warned = (target: AbortSignal) =>
      (target as unknown as Record<symbol, unknown>)[
        Object.getOwnPropertySymbols(target).find((k) => k.description === 'events.maxEventTargetListenersWarned')!
      ];
    const runner = new AbortController();
    const links = Array.from({ length: 40 }, () => linkSignals([runner.signal], 1000));
    expect(getEventListeners(runner.signal, 'abort')).toHaveLength(40);
    expect(warned(runner.signal)).toBe(false);
    for (const l of links) l.dispose();
    expect(getEventListeners(runner.signal, 'abort')).toHaveLength(0);
  });
});
