import { neverAbortedSignal } from 'cockatiel/dist/common/abort';
import { getEventListeners } from 'node:events';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { KasperskyTransportError } from './errors';
import { ResilientHttp } from './resilient-http';

/** Node's own count of signals made from this one by AbortSignal.any (a WeakRef each, kept for good). */
function dependants(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
  return key ? ((signal as unknown as Record<symbol, Set<unknown> | undefined>)[key]?.size ?? 0) : 0;
}

describe('ResilientHttp deadlines and signals (docs/performance.md, fix 9)', () => {
  let server: Server;
  let http: ResilientHttp;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('late'), 3000);
      else res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    http = new ResilientHttp({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      name: 'test',
      allowAddresses: ['loopback'],
      maxAttempts: 1,
      timeoutMs: 10_000,
    });
  });

  afterAll(async () => {
    await http.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('leaves nothing on long-lived signals after a call (the policy signal, the caller signal)', async () => {
    const job = new AbortController();
    const before = dependants(neverAbortedSignal);
    for (let i = 0; i < 50; i++)
      expect((await http.request({ method: 'GET', path: '/', signal: job.signal })).body).toBe('ok');
    expect(dependants(neverAbortedSignal) - before).toBe(0);
    expect(dependants(job.signal)).toBe(0);
    expect(getEventListeners(neverAbortedSignal, 'abort')).toHaveLength(0);
    expect(getEventListeners(job.signal, 'abort')).toHaveLength(0);
  });

  it('still ends a call at its deadline, as a timeout', async () => {
    const short = new ResilientHttp({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      name: 'test',
      allowAddresses: ['loopback'],
      maxAttempts: 1,
      timeoutMs: 200,
    });
    const started = Date.now();
    const e = await short.request({ method: 'GET', path: '/slow' }).catch((x: unknown) => x);
    await short.close();
    expect(e).toBeInstanceOf(KasperskyTransportError);
    expect((e as KasperskyTransportError).kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('still ends a call when the caller aborts', async () => {
    const job = new AbortController();
    setTimeout(() => job.abort(new Error('lease lost')), 20);
    const slow = new ResilientHttp({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      name: 'test',
      allowAddresses: ['loopback'],
      maxAttempts: 1,
      timeoutMs: 10_000,
    });
    const started = Date.now();
    const e = await slow.request({ method: 'GET', path: '/slow', signal: job.signal }).catch((x: unknown) => x);
    await slow.close();
    expect(e).toBeInstanceOf(KasperskyTransportError);
    expect(Date.now() - started).toBeLessThan(2500);
  });
});
