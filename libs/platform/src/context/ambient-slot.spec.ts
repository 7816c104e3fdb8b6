import { AmbientSlot } from './ambient-slot';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('AmbientSlot', () => {
  const a = new AmbientSlot<string>();
  const b = new AmbientSlot<number>();

  it('has no value outside any run', () => {
    expect(a.get()).toBeUndefined();
    expect(b.get()).toBeUndefined();
  });

  it('carries its value across awaits and timers, and only inside the run', async () => {
    const seen = await a.run('x', async () => {
      await tick();
      const inTimer = await new Promise((resolve) => setTimeout(() => resolve(a.get()), 1));
      return [a.get(), inTimer];
    });
    expect(seen).toEqual(['x', 'x']);
    expect(a.get()).toBeUndefined();
  });

  it('keeps the other slots of the caller when one is entered, and shadows only its own', async () => {
    await a.run('outer', () =>
      b.run(1, async () => {
        expect([a.get(), b.get()]).toEqual(['outer', 1]);
        await a.run('inner', async () => {
          await tick();
          expect([a.get(), b.get()]).toEqual(['inner', 1]);
        });
        expect([a.get(), b.get()]).toEqual(['outer', 1]);
      }),
    );
  });

  it('keeps concurrent runs apart', async () => {
    const one = a.run('one', async () => {
      await tick();
      return a.get();
    });
    const two = a.run('two', async () => {
      await tick();
      return a.get();
    });
    expect(await Promise.all([one, two])).toEqual(['one', 'two']);
  });

  it('sees a slot created after the caller entered its run', () => {
    a.run('x', () => {
      const late = new AmbientSlot<boolean>();
      expect(late.get()).toBeUndefined();
      late.run(true, () => expect([a.get(), late.get()]).toEqual(['x', true]));
    });
  });
});
