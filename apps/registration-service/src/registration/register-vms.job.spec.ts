import { AgentsInstalledV1 } from '@tpo/contracts';
import { IntegrationServerClient, IntegrationServerError, IsVm } from '@tpo/integration-server-client';
import { OutboxWriter } from '@tpo/messaging';
import { FencedStatement, JobContext } from '@tpo/jobs';
import { StepVm, StepWork, StepWorkRepository, VmStatus } from '@tpo/steps';
import { KasperskyClients } from '@tpo/site-directory';
import pino from 'pino';
import { RegisterVmsJob } from './register-vms.job';

type IsFake = Pick<IntegrationServerClient, 'registerVm' | 'listTenantVms'>;

/** The Integration Server's VM registrations in memory, behind the client's interface. */
class FakeIntegrationServer implements IsFake {
  /** BIOS id → tenant it is registered to. */
  readonly registered = new Map<string, string>();
  /** Answers of the next registerVm calls (an error to throw), before the normal behaviour. */
  readonly next: Error[] = [];
  calls = 0;

  async registerVm(tenantId: string, vm: { biosId: string; name?: string }): Promise<IsVm> {
    this.calls++;
    const answer = this.next.shift();
    if (answer) throw answer;
    if (this.registered.has(vm.biosId))
      throw IntegrationServerError.fromResponse(409, '<message>already registered</message>', 'RegisterVm');
    this.registered.set(vm.biosId, tenantId);
    return { id: `is-${vm.biosId}`, biosId: vm.biosId, name: vm.name };
  }
  async listTenantVms(tenantId: string): Promise<IsVm[]> {
    return [...this.registered].filter(([, t]) => t === tenantId).map(([biosId]) => ({ biosId }));
  }
}

function harness(vmNames: string[]) {
  const server = new FakeIntegrationServer();
  const vms: StepVm[] = vmNames.map((name) => ({
    biosUuid: `bios-${name}`,
    name,
    status: 'pending',
    detail: null,
    errorCode: null,
    errorMessage: null,
    updatedAt: new Date(),
  }));
  const work: StepWork<AgentsInstalledV1> = {
    tenantId: 't-1',
    runId: '',
    step: 'register-vms',
    siteId: 'site-1',
    status: 'pending',
    attempt: 1,
    input: { tenantId: 't-1', siteId: 'site-1', integrationServerTenantId: 'is-t-1' } as AgentsInstalledV1,
    output: null,
    errorCode: null,
    errorMessage: null,
    retryable: null,
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  /** Rows per progress write (one statement each). */
  const writes: number[] = [];
  type VmChange = { biosUuid: string; status: VmStatus; errorCode?: string };
  const apply = (changes: VmChange[]) => {
    writes.push(changes.length);
    for (const c of changes) {
      const vm = vms.find((v) => v.biosUuid === c.biosUuid)!;
      Object.assign(vm, { status: c.status, errorCode: c.errorCode ?? null });
    }
  };
  const steps = {
    find: async () => ({ ...work }),
    setRunning: async () => void (work.status = 'running'),
    vms: async () => vms.map((v) => ({ ...v })),
    setVms: async (_: string, __: string, changes: VmChange[]) => apply(changes),
    // As the repository's: a statement the job's end (or ctx.write) commits; applied by `write` below.
    setVmsStatement: (_: string, __: string, changes: VmChange[]) => ({
      text: () => 'UPDATE step_vm',
      params: [changes],
    }),
    succeed: async (_: string, __: string, output: object) => void Object.assign(work, { status: 'succeeded', output }),
    fail: async (_: string, __: string, e: { code: string }) =>
      void Object.assign(work, { status: 'failed', errorCode: e.code }),
  } as unknown as StepWorkRepository;
  const emitted: { name: string; payload: Record<string, unknown> }[] = [];
  const outbox = {
    emit: async (d: { name: string }, payload: Record<string, unknown>) => (
      emitted.push({ name: d.name, payload }),
      {}
    ),
  } as unknown as OutboxWriter;
  const clients = { integrationServer: async () => ({ client: server }) } as unknown as KasperskyClients;
  const job = new RegisterVmsJob(steps, outbox, pino({ level: 'silent' }), clients);
  const run = async () => {
    const ended: string[] = [];
    const ctx = {
      job: { payload: { tenantId: 't-1' } },
      signal: new AbortController().signal,
      record: async (w: () => Promise<void>) => w(),
      write: async (st: FencedStatement | FencedStatement[]) => {
        for (const x of [st].flat()) apply(x.params[0] as VmChange[]);
        return 1;
      },
      succeed: async (w?: () => Promise<void>) => (await w?.(), ended.push('succeeded'), { settled: true }),
      fail: async (_: string, w?: () => Promise<void>) => (await w?.(), ended.push('failed'), { settled: true }),
    } as unknown as JobContext<{ tenantId: string }>;
    await job.run(ctx);
    return ended;
  };
  return { server, vms, work, emitted, run, writes };
}

describe('RegisterVmsJob (step 5)', () => {
  it('registers every VM; one already registered to this tenant counts as done, one of another tenant fails alone', async () => {
    const h = harness(['a', 'b', 'c']);
    h.server.registered.set('bios-b', 'is-t-1');
    h.server.registered.set('bios-c', 'is-other');

    expect(await h.run()).toEqual(['succeeded']);

    expect(h.emitted).toEqual([
      {
        name: 'VmsRegistered',
        payload: expect.objectContaining({
          tenantId: 't-1',
          integrationServerTenantId: 'is-t-1',
          succeeded: [
            { biosUuid: 'bios-a', name: 'a' },
            { biosUuid: 'bios-b', name: 'b' },
          ],
          failed: [expect.objectContaining({ biosUuid: 'bios-c', code: 'VM_REGISTERED_TO_ANOTHER_TENANT' })],
        }),
      },
    ]);
    expect(h.work).toMatchObject({ status: 'succeeded', output: { registered: 2, failed: 1 } });
  });

  it("stores a small tenant's outcomes once, with the step's end", async () => {
    const h = harness(['a', 'b', 'c', 'd', 'e']);
    expect(await h.run()).toEqual(['succeeded']);
    expect(h.writes).toEqual([5]);
    expect(h.vms.map((v) => v.status)).toEqual(Array(5).fill('succeeded'));
    expect(h.emitted[0].payload).toMatchObject({
      succeeded: expect.arrayContaining([{ biosUuid: 'bios-e', name: 'e' }]),
    });
  });

  it('stores outcomes before taking more VMs when a tenant has more VMs than run at once (fewer statements, every VM once)', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `vm${i}`);
    const h = harness(names);
    expect(await h.run()).toEqual(['succeeded']);
    expect(h.writes.reduce((a, b) => a + b, 0)).toBe(40);
    expect(h.writes.length).toBeGreaterThan(1);
    expect(h.writes.length).toBeLessThan(40);
    expect(h.vms.map((v) => v.status)).toEqual(Array(40).fill('succeeded'));
  });

  it('a transient vendor error goes back to the job runner; the retry registers only what is left', async () => {
    const h = harness(['a', 'b']);
    // The first VM registers, the second meets a 503.
    const register = h.server.registerVm.bind(h.server);
    let calls = 0;
    h.server.registerVm = async (t, vm) => {
      if (++calls === 2) throw IntegrationServerError.fromResponse(503, '<message>busy</message>', 'RegisterVm');
      return register(t, vm);
    };

    await expect(h.run()).rejects.toMatchObject({ code: 'IS_HTTP_503', retryable: true });
    expect(h.emitted).toEqual([]);
    expect(h.vms.map((v) => v.status)).toEqual(['succeeded', 'pending']);

    expect(await h.run()).toEqual(['succeeded']);
    expect(calls).toBe(3);
    expect(h.emitted.map((e) => e.name)).toEqual(['VmsRegistered']);
  });

  it('with no VM registered the step fails, retryable, with OnboardingStepFailed', async () => {
    const h = harness(['a']);
    h.server.next.push(
      IntegrationServerError.fromResponse(
        400,
        '<code>VIRMT_InvalidBiosId</code><message>bad id</message>',
        'RegisterVm',
      ),
    );

    expect(await h.run()).toEqual(['failed']);

    expect(h.emitted).toEqual([
      {
        name: 'OnboardingStepFailed',
        payload: expect.objectContaining({
          step: 'register-vms',
          code: 'NO_VM_REGISTERED',
          retryable: true,
          attempt: 1,
        }),
      },
    ]);
    expect(h.vms[0]).toMatchObject({ status: 'failed', errorCode: 'VIRMT_InvalidBiosId' });
  });
});
