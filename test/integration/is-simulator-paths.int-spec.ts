import type { RunningSimulator } from '@tpo/kaspersky-simulator';
import { SIM_IS_PASSWORD, startTestSimulator, throughExpressApp } from '../support/simulator';

const BASE = '/api/2.0/virtualization';
const AUTH = `Basic ${Buffer.from(`multitenancy:${SIM_IS_PASSWORD}`).toString('base64')}`;
/** Headers that differ from one answer to the next whatever path it took. */
const VOLATILE = new Set(['date', 'connection', 'keep-alive']);

/**
 * The simulated Integration Server answers a plain task poll on a short path while no request
 * fault is set, and through its Express app otherwise (is-http.ts). Both must answer alike: the
 * same requests are sent with no fault set and with a fault of an unrelated operation set (which
 * sends every request through the Express app), and the answers compared byte for byte, headers
 * included.
 */
describe('simulated Integration Server: the task poll short path answers as the Express app does', () => {
  let sim: RunningSimulator;
  let url: string;
  let taskId: string;

  beforeAll(async () => {
    sim = await startTestSimulator([{}]);
    url = sim.endpoints[0].integrationServerUrl;
    const created = await fetch(`${url}${BASE}/tenants`, {
      method: 'POST',
      headers: { Authorization: AUTH, 'Content-Type': 'application/xml' },
      body: '<tenant><name>paths-tenant</name><type>Simple</type></tenant>',
    });
    expect(created.status).toBe(202);
    taskId = /\/tasks\/([^/]+)$/.exec(created.headers.get('location') ?? '')![1];
    // Over: its answer no longer changes between polls.
    const deadline = Date.now() + 20_000;
    while (!/<state>(Completed|Failed|Cancelled|Stopped)</.test(await (await poll(taskId)).text())) {
      if (Date.now() > deadline) throw new Error('the task did not end');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    await sim?.close();
  });

  function poll(id: string, headers: Record<string, string> = { Authorization: AUTH }, suffix = '') {
    return fetch(`${url}${BASE}/tasks/${id}${suffix}`, { headers });
  }

  async function answer(res: Promise<Response>) {
    const r = await res;
    const headers: Record<string, string> = {};
    r.headers.forEach((v, k) => {
      if (!VOLATILE.has(k)) headers[k] = v;
    });
    return { status: r.status, headers, body: await r.text() };
  }

  /** A task, no task, no credentials, wrong ones, a query string, a trailing slash, another verb. */
  async function answers() {
    return {
      task: await answer(poll(taskId)),
      unknown: await answer(poll('00000000-0000-0000-0000-000000000000')),
      noAuth: await answer(poll(taskId, {})),
      wrongPassword: await answer(
        poll(taskId, { Authorization: `Basic ${Buffer.from('multitenancy:nope').toString('base64')}` }),
      ),
      query: await answer(poll(taskId, { Authorization: AUTH }, '?x=1')),
      trailingSlash: await answer(poll(taskId, { Authorization: AUTH }, '/')),
      post: await answer(fetch(`${url}${BASE}/tasks/${taskId}`, { method: 'POST', headers: { Authorization: AUTH } })),
    };
  }

  it('gives the same status, headers and body either way, and counts each poll once', async () => {
    const site = sim.sites[0];
    expect(site.faults.passesRequests).toBe(true);
    // Which way a request went: the Express app applies the faults, the short path does not.
    const apply = jest.spyOn(site.faults, 'apply');
    site.counters.reset();
    const short = await answers();
    // The plain polls of a task and of no task took the short path; the refused credentials, the
    // query string and the trailing slash went to the app (the POST has no route: no faults either).
    expect(apply.mock.calls.length).toBe(4);
    const polls = site.counters.get('GetTask');
    try {
      await throughExpressApp(site, 'NothingCalled', async () => {
        expect(site.faults.passesRequests).toBe(false);
        site.counters.reset();
        apply.mockClear();
        expect(await answers()).toEqual(short);
        expect(apply.mock.calls.length).toBe(6);
        expect(site.counters.get('GetTask')).toBe(polls);
      });
    } finally {
      apply.mockRestore();
    }
    expect(polls).toBe(6);
    expect(short.task).toMatchObject({ status: 200, headers: { 'content-type': 'application/xml; charset=utf-8' } });
    expect(short.task.body).toContain(taskId);
    expect(short.task.headers).not.toHaveProperty('etag');
    expect(short.unknown.status).toBe(404);
    expect(short.noAuth.status).toBe(site.assumptions.isAuthFailure === 'always-403' ? 403 : 401);
    expect(short.wrongPassword.status).toBe(403);
    expect(short.query.status).toBe(200);
    expect(short.post.status).toBe(405);
  });
});
