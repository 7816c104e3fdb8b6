import { CoalescingWriter } from './coalescing-writer';

describe('CoalescingWriter', () => {
  const deferred = () => {
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    return { done, release };
  };

  it('writes a lone item at once, and what arrives during a write together in the next one', async () => {
    const batches: number[][] = [];
    const gates = [deferred(), deferred()];
    const writer = new CoalescingWriter<number>(async (items) => {
      batches.push(items);
      await gates[batches.length - 1]?.done;
    });
    const first = writer.write(1);
    expect(batches).toEqual([[1]]);
    const rest = [writer.write(2), writer.write(3), writer.write(4)];
    expect(batches).toEqual([[1]]);
    gates[0].release();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1], [2, 3, 4]]);
    gates[1].release();
    await Promise.all(rest);
    await writer.write(5);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('rejects every item of a refused batch with its error, and goes on with later items', async () => {
    let refuse = true;
    const written: number[] = [];
    const writer = new CoalescingWriter<number>(async (items) => {
      await new Promise((r) => setImmediate(r));
      if (refuse && items.includes(2)) throw new Error('lease lost');
      written.push(...items);
    });
    const one = writer.write(1);
    const two = writer.write(2);
    const three = writer.write(3);
    await expect(one).resolves.toBeUndefined();
    await expect(two).rejects.toThrow('lease lost');
    await expect(three).rejects.toThrow('lease lost');
    refuse = false;
    await writer.write(4);
    expect(written).toEqual([1, 4]);
  });
});
