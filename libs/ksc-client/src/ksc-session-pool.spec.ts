import { KscSession, KscSessionHost } from './ksc-session';
import { KscSessionPool } from './ksc-session-pool';

/** A vendor double counting logins and session ends (the pool's own logic is what is under test). */
function fakeKsc() {
  const calls: string[] = [];
  let n = 0;
  const host: KscSessionHost = {
    invoke: async (method) => {
      calls.push(method);
      return {};
    },
    login: async () => {
      calls.push('Session.StartSession');
      return `token-${++n}`;
    },
  };
  const opener = { startSession: async () => new KscSession(host, await host.login(undefined, { user: 'u', password: 'p' }), undefined, { user: 'u', password: 'p' }) };
  return { calls, opener };
}

describe('KscSessionPool', () => {
  it('reuses one main-server session for consecutive jobs instead of logging in each time', async () => {
    const { calls, opener } = fakeKsc();
    const pool = new KscSessionPool(opener);
    for (let i = 0; i < 3; i++) await pool.use((s) => s.call('HostGroup.GroupIdGroups'));
    expect(calls.filter((c) => c === 'Session.StartSession')).toHaveLength(1);
    expect(calls.filter((c) => c === 'Session.EndSession')).toHaveLength(0);
    await pool.close();
    expect(calls.filter((c) => c === 'Session.EndSession')).toHaveLength(1);
  });

  it('never shares a session between concurrent jobs', async () => {
    const { opener } = fakeKsc();
    const pool = new KscSessionPool(opener);
    const seen: KscSession[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = pool.use(async (s) => {
      seen.push(s);
      await gate;
    });
    const b = pool.use(async (s) => {
      seen.push(s);
    });
    await b;
    release();
    await a;
    expect(seen[0]).not.toBe(seen[1]);
    expect(pool.idleCount).toBe(2);
  });

  it('ends a session whose job failed rather than handing it to the next job', async () => {
    const { calls, opener } = fakeKsc();
    const pool = new KscSessionPool(opener);
    await expect(pool.use(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await new Promise((r) => setImmediate(r));
    expect(calls).toContain('Session.EndSession');
    expect(pool.idleCount).toBe(0);
  });

  it('does not reuse a session idle for longer than idleMs', async () => {
    const { calls, opener } = fakeKsc();
    const pool = new KscSessionPool(opener, { idleMs: 0 });
    await pool.use(async () => undefined);
    await pool.use(async () => undefined);
    expect(calls.filter((c) => c === 'Session.StartSession')).toHaveLength(2);
  });
});
