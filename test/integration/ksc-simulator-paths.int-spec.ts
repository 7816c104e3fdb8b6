import type { RunningSimulator } from '@tpo/kaspersky-simulator';
import { SIM_KSC_ACCOUNT, startTestSimulator, throughExpressApp } from '../support/simulator';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const LOGIN = `KSCBasic user="${b64(SIM_KSC_ACCOUNT.name)}", pass="${b64(SIM_KSC_ACCOUNT.password)}", internal="1"`;

/**
 * The simulated KSC answers a plain method call on a short path while no request fault is set, and
 * through its Express app otherwise (ksc-http.ts). Both must answer alike: the same requests are sent
 * with no fault set and with a fault of an unrelated method set (which sends every request through
 * the Express app), and the answers compared byte for byte.
 */
describe('simulated KSC: the short path answers as the Express app does', () => {
  let sim: RunningSimulator;
  let url: string;

  beforeAll(async () => {
    sim = await startTestSimulator([{}]);
    url = sim.endpoints[0].kscUrl;
  });

  afterAll(async () => {
    await sim?.close();
  });

  async function send(path: string, init: { headers?: Record<string, string>; body?: string; method?: string } = {}) {
    const res = await fetch(`${url}${path}`, {
      method: init.method ?? 'POST',
      headers: { 'Content-Type': 'application/json', ...(init.headers ?? {}) },
      body: init.method === 'GET' ? undefined : (init.body ?? '{}'),
    });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      encoding: res.headers.get('content-encoding'),
      body: Buffer.from(await res.arrayBuffer()).toString('base64'),
    };
  }

  /** Every kind of answer: a session, a result, a PxgError, 401, 403, a malformed body, a gzipped list, a wrong verb and path. */
  async function answers() {
    const start = await send('/api/v1.0/Session.StartSession', { headers: { Authorization: LOGIN } });
    const token = (JSON.parse(Buffer.from(start.body, 'base64').toString()) as { PxgRetVal: string }).PxgRetVal;
    const s = { 'X-KSC-Session': token };
    const out = {
      start: { ...start, body: 'a token' },
      result: await send('/api/v1.0/HostGroup.GroupIdGroups', { headers: s }),
      instance: await send('/api/v1.0/Default.HostGroup.GroupIdUnassigned', { headers: s }),
      unknown: await send('/api/v1.0/HostGroup.NoSuchMethod', { headers: s }),
      badParameter: await send('/api/v1.0/HostGroup.GetGroupInfo', { headers: s, body: '{"nId":"x"}' }),
      malformed: await send('/api/v1.0/HostGroup.GroupIdGroups', { headers: s, body: '{"nId":' }),
      notAnObject: await send('/api/v1.0/HostGroup.GroupIdGroups', { headers: s, body: '[1]' }),
      noSession: await send('/api/v1.0/HostGroup.GroupIdGroups'),
      unknownSession: await send('/api/v1.0/HostGroup.GroupIdGroups', { headers: { 'X-KSC-Session': 'nope' } }),
      badLogin: await send('/api/v1.0/Session.StartSession', { headers: { Authorization: 'KSCBasic user="eA=="' } }),
      gzipped: await send('/api/v1.0/PackagesApi.GetPackages2', { headers: { ...s, 'Accept-Encoding': 'gzip' } }),
      wrongVerb: await send('/api/v1.0/HostGroup.GroupIdGroups', { method: 'GET' }),
      wrongPath: await send('/api/v2/HostGroup.GroupIdGroups', { headers: s }),
    };
    await send('/api/v1.0/Session.EndSession', { headers: s });
    return out;
  }

  it('gives the same status, Content-Type, encoding and body either way, and counts each call once', async () => {
    const site = sim.sites[0];
    expect(site.faults.passesRequests).toBe(true);
    site.counters.reset();
    // Which way a request went: the Express app applies the faults, the short path does not.
    const apply = jest.spyOn(site.faults, 'apply');
    const short = await answers();
    // Only the wrong verb and path (not a method call) went to the Express app: they stop before the faults.
    expect(apply).not.toHaveBeenCalled();
    const counted = site.counters.get('HostGroup.GroupIdGroups');
    try {
      await throughExpressApp(site, 'Nothing.Called', async () => {
        expect(site.faults.passesRequests).toBe(false);
        site.counters.reset();
        expect(await answers()).toEqual(short);
        expect(apply.mock.calls.length).toBeGreaterThanOrEqual(11);
        expect(site.counters.get('HostGroup.GroupIdGroups')).toBe(counted);
      });
    } finally {
      apply.mockRestore();
    }
    expect(short.result).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    expect(short.unknown.status).toBe(site.assumptions.kscPxgErrorHttpStatus);
    expect(short.noSession).toMatchObject({ status: 401, type: 'text/plain; charset=utf-8' });
    expect(short.unknownSession.status).toBe(403);
    expect(short.gzipped.encoding).toBe('gzip');
    expect(short.wrongVerb.status).toBe(405);
    expect(short.wrongPath.status).toBe(404);
  });
});
