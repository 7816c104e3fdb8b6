import { KeyedExecutor } from './keyed-executor';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KeyedExecutor', () => {
  it('runs tasks of one key in submission order, other keys alongside', async () => {
    const ex = new KeyedExecutor(4);
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
    };
    await ex.submit('a', task('a1', 30));
    await ex.submit('a', task('a2', 1));
    await ex.submit('b', task('b1', 1));
    await ex.idle();
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'));
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('end a1'));
  });

  it('never has more than `limit` tasks admitted', async () => {
    const ex = new KeyedExecutor(2);
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 8; i++) {
      await ex.submit(`k${i}`, async () => {
        running++;
        peak = Math.max(peak, running);
        await tick(5);
        running--;
      });
    }
    await ex.idle();
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('keeps going after a task fails', async () => {
    const ex = new KeyedExecutor(1);
    let ran = false;
    await ex.submit('a', async () => {
      throw new Error('boom');
    });
    await ex.submit('a', async () => {
      ran = true;
    });
    await ex.idle();
    expect(ran).toBe(true);
  });
});
