import { KscAuthError } from './errors';
import type { KscCredentials, KscInvokeOptions, KscReply } from './ksc-client';
import { KscSession, KscSessionHost } from './ksc-session';
import { KscSessionPool } from './ksc-session-pool';

/** A KSC in memory: live tokens, every call recorded with its token; a dead token gets 403 like the server (§2.5). */
class FakeKsc implements KscSessionHost {
  readonly live = new Set<string>();
  readonly calls: { method: string; token?: string }[] = [];
  logins = 0;
  loginAttempts = 0;
  ends = 0;
  refuseLogin = false;

  async invoke(method: string, _args: Record<string, unknown>, opts: KscInvokeOptions): Promise<KscReply> {
    this.calls.push({ method, token: opts.token });
    await Promise.resolve();
    if (!opts.token || !this.live.has(opts.token))
      throw new KscAuthError(403, 'session_ended', `${method}: the KSC session has ended or expired`);
    if (method === 'Session.EndSession') {
      this.ends++;
      this.live.delete(opts.token);
    }
    return { PxgRetVal: method };
  }

  async login(_vserver: string | undefined, _c: KscCredentials): Promise<string> {
    this.loginAttempts++;
    if (this.refuseLogin) throw new KscAuthError(401, 'bad_credentials', 'refused');
    const token = `t${++this.logins}`;
    this.live.add(token);
    return token;
  }

  async startSession(): Promise<KscSession> {
    return new KscSession(this, await this.login(undefined, CREDS), undefined, CREDS);
  }

  /** The server forgets every session (its idle timeout passed). */
  expireAll(): void {
    this.live.clear();
  }

  tokensOf(method: string): (string | undefined)[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.token);
  }
}

const CREDS = { user: 'svc', password: 'pw' };

describe('KscSessionPool', () => {
  let ksc: FakeKsc;
  let clock: number;
  const pool = (opts: { idleMaxMs?: number; maxIdle?: number } = {}) =>
    new KscSessionPool(ksc, { idleMaxMs: 60_000, maxIdle: 4, ...opts, now: () => clock });

  beforeEach(() => {
    ksc = new FakeKsc();
    clock = 1_000_000;
  });

  it('lends a returned session to the next workflow instead of logging in again', async () => {
    const p = pool();
    await p.use((s) => s.call('HostGroup.GroupIdGroups'));
    await p.use((s) => s.call('HostGroup.GroupIdGroups'));
    await p.use((s) => s.call('HostGroup.AddGroup'));
    expect(ksc.logins).toBe(1);
    expect(ksc.ends).toBe(0);
    expect(new Set(ksc.calls.map((c) => c.token))).toEqual(new Set(['t1']));
    expect(p.size).toEqual({ idle: 1, lent: 0 });
    await p.close();
  });

  it('never lends one session to two workflows at once', async () => {
    const p = pool();
    const held: KscSession[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const workflows = [1, 2, 3].map(() =>
      p.use(async (s) => {
        held.push(s);
        await s.call('HostGroup.GroupIdGroups');
        await gate;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(new Set(held).size).toBe(3);
    expect(ksc.logins).toBe(3);
    expect(p.size).toEqual({ idle: 0, lent: 3 });
    release();
    await Promise.all(workflows);
    expect(p.size).toEqual({ idle: 3, lent: 0 });
    await p.close();
  });

  it('refuses calls on a session after it was returned', async () => {
    const p = pool();
    let kept!: KscSession;
    await p.use(async (s) => {
      kept = s;
    });
    await expect(kept.call('HostGroup.GroupIdGroups')).rejects.toThrow(/returned to its pool/);
    expect(ksc.calls).toHaveLength(0);
    await p.close();
  });

  it('ends sessions returned beyond maxIdle', async () => {
    const p = pool({ maxIdle: 2 });
    const sessions = await Promise.all([p.acquire(), p.acquire(), p.acquire()]);
    for (const s of sessions) p.release(s);
    await new Promise((r) => setTimeout(r, 0));
    expect(p.size).toEqual({ idle: 2, lent: 0 });
    expect(ksc.ends).toBe(1);
    expect(ksc.tokensOf('Session.EndSession')).toEqual(['t3']);
    await p.close();
  });

  it('does not lend a session idle beyond idleMaxMs: it is ended and a new one started', async () => {
    const p = pool({ idleMaxMs: 60_000 });
    await p.use((s) => s.call('HostGroup.GroupIdGroups'));
    clock += 59_000;
    await p.use((s) => s.call('HostGroup.GroupIdGroups')); // young enough: reused
    expect(ksc.logins).toBe(1);
    clock += 60_000;
    await p.use((s) => s.call('HostGroup.AddGroup'));
    expect(ksc.logins).toBe(2);
    expect(ksc.tokensOf('Session.EndSession')).toEqual(['t1']);
    expect(ksc.tokensOf('HostGroup.AddGroup')).toEqual(['t2']);
    await p.close();
  });

  it('ends idle sessions on its timer, without being asked for one', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const p = new KscSessionPool(ksc, { idleMaxMs: 10_000, maxIdle: 4 });
      await p.use((s) => s.call('HostGroup.GroupIdGroups'));
      jest.advanceTimersByTime(15_000);
      await Promise.resolve();
      expect(ksc.tokensOf('Session.EndSession')).toEqual(['t1']);
      expect(p.size).toEqual({ idle: 0, lent: 0 });
      expect(jest.getTimerCount()).toBe(0); // nothing left ticking while idle
      await p.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('discards a session whose call met a KscAuthError, and ends one whose workflow threw', async () => {
    const p = pool();
    // Mid-workflow, a state-changing call on a dead token surfaces the error (an action could be lost).
    await expect(
      p.use(async (s) => {
        await s.call('HostGroup.GroupIdGroups');
        ksc.expireAll();
        await s.call('HostGroup.AddGroup');
      }),
    ).rejects.toBeInstanceOf(KscAuthError);
    expect(p.size).toEqual({ idle: 0, lent: 0 });
    expect(ksc.tokensOf('Session.EndSession')).toEqual([]); // dead already: nothing to end
    await expect(
      p.use(async (s) => {
        await s.call('HostGroup.GroupIdGroups');
        throw new Error('vendor timeout');
      }),
    ).rejects.toThrow('vendor timeout');
    await new Promise((r) => setTimeout(r, 0));
    expect(p.size).toEqual({ idle: 0, lent: 0 });
    expect(ksc.tokensOf('Session.EndSession')).toEqual(['t2']);
    await p.close();
  });

  it('a stale lent session does not fail a state-changing first call: it logs in again once and repeats it', async () => {
    const p = pool({ idleMaxMs: 3_600_000 });
    await p.use((s) => s.call('HostGroup.GroupIdGroups'));
    ksc.expireAll(); // the server's timeout was shorter than assumed
    await expect(p.use((s) => s.call('HostGroup.AddGroup'))).resolves.toEqual({ PxgRetVal: 'HostGroup.AddGroup' });
    expect(ksc.tokensOf('HostGroup.AddGroup')).toEqual(['t1', 't2']); // refused (not run) on t1, run on t2
    expect(ksc.logins).toBe(2);
    // The refreshed session is healthy and goes back to the pool.
    expect(p.size).toEqual({ idle: 1, lent: 0 });
    await p.use((s) => s.call('HostGroup.AddGroup'));
    expect(ksc.tokensOf('HostGroup.AddGroup')).toEqual(['t1', 't2', 't2']);
    await p.close();
  });

  it('does not log in again when the refused login is the problem', async () => {
    const p = pool();
    await p.use((s) => s.call('HostGroup.GroupIdGroups'));
    ksc.expireAll();
    ksc.refuseLogin = true;
    await expect(p.use((s) => s.call('HostGroup.AddGroup'))).rejects.toMatchObject({ reason: 'bad_credentials' });
    expect(p.size).toEqual({ idle: 0, lent: 0 });
    await expect(p.use((s) => s.call('HostGroup.AddGroup'))).rejects.toMatchObject({ reason: 'bad_credentials' });
    expect(ksc.loginAttempts).toBe(3); // the first, one refused re-login, one refused new session: never a loop
    await p.close();
  });

  it('ends every idle session on close, and lent ones as they come back', async () => {
    const p = pool();
    const [a, b] = await Promise.all([p.acquire(), p.acquire()]);
    const c = await p.acquire();
    p.release(a);
    p.release(b);
    await p.close();
    expect(ksc.tokensOf('Session.EndSession').sort()).toEqual(['t1', 't2']);
    p.release(c);
    await new Promise((r) => setTimeout(r, 0));
    expect(ksc.tokensOf('Session.EndSession').sort()).toEqual(['t1', 't2', 't3']);
    expect(ksc.live.size).toBe(0);
    await expect(p.acquire()).rejects.toThrow(/closed/);
  });
});
