import { randomBytes, randomUUID } from 'node:crypto';
import { OnboardingRequest } from '@tpo/contracts';
import {
  CreateTenantRequest,
  IntegrationServerClient,
  IntegrationServerError,
  IsTask,
  IsTaskFailedError,
  IsTenant,
} from '@tpo/integration-server-client';
import { Emission, OutboxWriter } from '@tpo/messaging';
import { DomainError } from '@tpo/platform';
import { GuardedStatement, UnitOfWork } from '@tpo/persistence';
import { EnvelopeCipher, SealedSecret } from '@tpo/secrets';
import { JobContext, JobOutcome } from '@tpo/jobs';
import { KasperskyClients } from '@tpo/site-directory';
import pino from 'pino';
import { TenantServiceEnv } from '../../config/tenant-service.env';
import { OnboardOperation } from '../../operations/onboard-operation';
import { SiteRepository } from '../../sites/site.repository';
import { CreateTenantStepRepository } from '../create-tenant-step.repository';
import { TenantSecretRepository } from '../tenant-secret.repository';
import { TenantTimelineRepository } from '../tenant-timeline.repository';
import { StepFailure, StepRecord, TenantRecord, TenantRepository } from '../tenant.repository';
import { CreateTenantJob, orderMarker, secretAad } from './create-tenant.job';

type IsFake = Pick<IntegrationServerClient, 'listTenants' | 'listTasks' | 'createTenant' | 'waitForTask'>;

/** An Integration Server in memory, behind the client's interface: what was created, and how often. */
class FakeIntegrationServer implements IsFake {
  readonly tenants: IsTenant[] = [];
  readonly tasks: IsTask[] = [];
  readonly calls: CreateTenantRequest[] = [];
  /** Answers of the next CreateTenant calls: an error to throw, or a task end state (default Completed). */
  readonly next: (Error | 'Running' | 'Failed')[] = [];
  onCreate?: (req: CreateTenantRequest) => void;

  listCalls = 0;

  async listTenants(): Promise<IsTenant[]> {
    this.listCalls++;
    return [...this.tenants];
  }
  async listTasks(filter: { type?: string } = {}): Promise<IsTask[]> {
    return this.tasks.filter((t) => !filter.type || t.type === filter.type);
  }
  async createTenant(req: CreateTenantRequest): Promise<{ taskId: string }> {
    this.onCreate?.(req);
    const answer = this.next.shift();
    if (answer instanceof Error) throw answer;
    this.calls.push(req);
    const task: IsTask = { id: randomUUID(), type: 'CreateTenant', state: answer ?? 'Completed' };
    if (task.state === 'Completed') {
      const tenant = { id: randomUUID(), name: req.name, userData: req.userData, vKsc: { id: '17' } };
      this.tenants.push(tenant);
      task.result = { tenant };
    } else if (task.state === 'Failed') {
      task.error = { code: 'VIRMT_TenantGroupAlreadyExists', message: 'group exists' };
    }
    this.tasks.push(task);
    return { taskId: task.id };
  }
  async waitForTask(taskId: string): Promise<IsTask> {
    const task = this.tasks.find((t) => t.id === taskId)!;
    if (task.state === 'Failed') throw new IsTaskFailedError(task);
    if (task.state !== 'Completed') throw new DomainError('IS_TASK_TIMEOUT', 'still running', { retryable: true });
    return task;
  }
}

/** The tenant row and its timeline in memory (the repository's behaviour, not its SQL). */
class TenantStore {
  tenant: TenantRecord;
  readonly timeline = new Map<string, StepRecord>();
  readonly operation: { failed?: StepFailure } = {};

  constructor() {
    const request = { orderId: 'order-1', tenantName: 'Acme', adminAccountName: 'acme-admin', vms: [] };
    this.tenant = {
      id: randomUUID(),
      orderId: 'order-1',
      name: 'Acme',
      adminAccountName: 'acme-admin',
      siteId: 'site-1',
      status: 'onboarding',
      lifecycle: 'onboarding',
      lifecycleReason: null,
      lifecycleChangedAt: null,
      currentStep: 'create-tenant',
      request: request as unknown as OnboardingRequest,
      isTenantId: null,
      virtualServerId: null,
      virtualServerName: null,
      createTaskId: null,
      createIntentAt: null,
      failure: null,
      vmSummary: null,
      createdAt: new Date(),
      updatedAt: new Date(),
      readyAt: null,
    };
    this.setStep('create-tenant', { status: 'running', attempt: 1 });
  }

  private setStep(step: string, patch: Partial<StepRecord>) {
    const current = this.timeline.get(step) ?? ({ step, attempt: 1, externalTaskIds: [] } as unknown as StepRecord);
    this.timeline.set(step, { ...current, ...patch });
  }

  readonly repository = {
    findById: async () => ({ ...this.tenant }),
    step: async (_: string, step: string) => this.timeline.get(step),
    update: async (_: string, patch: Partial<TenantRecord>) => void (this.tenant = { ...this.tenant, ...patch }),
    stepStarted: async (_: string, step: string) => this.setStep(step, { status: 'running' }),
    stepSucceeded: async (_: string, step: string, details?: Record<string, unknown>) =>
      this.setStep(step, { status: 'succeeded', details: details ?? null }),
    stepFailed: async (_: string, f: StepFailure, attempt: number) =>
      this.setStep(f.step, { status: 'failed', attempt, errorCode: f.code, retryable: f.retryable }),
    addExternalTask: async (_: string, step: string, id: string) =>
      this.setStep(step, { externalTaskIds: [...(this.timeline.get(step)?.externalTaskIds ?? []), id] }),
  } as unknown as TenantRepository;

  /**
   * The timeline repository's statements, as in-memory effects with the same results as their SQL
   * (the SQL itself runs in test/integration/create-tenant-step.int-spec.ts).
   */
  readonly timelineRepository = {
    findWithStep: async (_: string, step: string) => ({ tenant: { ...this.tenant }, step: this.timeline.get(step) }),
    createIntentStatement: (_: string, at: Date) =>
      effect(() => void (this.tenant = { ...this.tenant, createIntentAt: at })),
    createTaskStatements: (_: string, taskId: string) => [
      effect(() => {
        this.tenant = { ...this.tenant, createTaskId: taskId };
        this.setStep('create-tenant', {
          externalTaskIds: [...(this.timeline.get('create-tenant')?.externalTaskIds ?? []), taskId],
        });
      }),
    ],
    createTenantSucceededStatements: (
      _: string,
      output: { integrationServerTenantId: string; virtualServerId: string },
    ) => [
      effect(() => {
        this.tenant = {
          ...this.tenant,
          isTenantId: output.integrationServerTenantId,
          virtualServerId: output.virtualServerId,
          currentStep: 'configure-svm',
          failure: null,
        };
        this.setStep('create-tenant', { status: 'succeeded', details: { ...output } });
        this.setStep('configure-svm', { status: 'running' });
      }),
    ],
    createTenantFailedStatements: (_: string, f: StepFailure, reset: boolean) => [
      effect(() => {
        this.tenant = {
          ...this.tenant,
          status: 'failed',
          failure: f,
          ...(reset ? { createTaskId: null, createIntentAt: null } : {}),
        };
        this.setStep(f.step, { status: 'failed', errorCode: f.code, retryable: f.retryable });
      }),
    ],
  } as unknown as TenantTimelineRepository;
}

/** A statement of the fakes: what it does, applied by the fake job context's fenced writes. */
type Effect = GuardedStatement & { apply: () => void };
const effect = (apply: () => void): Effect => ({ text: () => '', params: [], apply });
const applyAll = (statements: GuardedStatement | GuardedStatement[]) =>
  [statements].flat().forEach((st) => (st as Effect).apply());

function harness() {
  const server = new FakeIntegrationServer();
  const store = new TenantStore();
  const sealed = new Map<string, SealedSecret>();
  const emitted: { name: string; payload: Record<string, unknown> }[] = [];
  const cipher = new EnvelopeCipher(new Map([['k1', randomBytes(32)]]), 'k1');
  const secrets = {
    find: async (id: string) => (sealed.has(id) ? { sealed: sealed.get(id) } : undefined),
    insertStatement: (id: string, s: SealedSecret) => effect(() => void sealed.set(id, s)),
  } as unknown as TenantSecretRepository;
  const onboard = {
    failedStatement: (_: string, f: StepFailure) => effect(() => void (store.operation.failed = f)),
  } as unknown as OnboardOperation;
  const outbox = {
    emitStatement: (events: Emission[]) =>
      effect(() =>
        events.forEach((e) => emitted.push({ name: e.definition.name, payload: e.data as Record<string, unknown> })),
      ),
  } as unknown as OutboxWriter;
  const clients = { integrationServer: async () => ({ client: server }) } as unknown as KasperskyClients;
  const uow = { run: (w: () => Promise<unknown>) => w() } as unknown as UnitOfWork;
  const sites = { setKscConfigured: async () => undefined } as unknown as SiteRepository;
  const config = { CREATE_TASK_DEADLINE_MS: 1000, CREATE_INTENT_CLOCK_SKEW_MS: 0 } as TenantServiceEnv;
  const job = new CreateTenantJob(
    new CreateTenantStepRepository(store.repository, store.timelineRepository, onboard),
    outbox,
    pino({ level: 'silent' }),
    uow,
    store.timelineRepository,
    secrets,
    sites,
    cipher,
    clients,
    config,
  );
  const outcome = { settled: true } as JobOutcome;
  /** One run of the job; `crashAtRecord` = the worker dies at that fenced write (1 sealed secret with the intent, 2 task id). */
  const context = (crashAtRecord?: number) => {
    let records = 0;
    const ended: string[] = [];
    const ctx = {
      job: { payload: { tenantId: store.tenant.id } },
      signal: new AbortController().signal,
      write: async (statements: GuardedStatement | GuardedStatement[]) => {
        if (++records === crashAtRecord) throw new Error('worker killed');
        applyAll(statements);
        return 1;
      },
      succeedWith: async (statements: GuardedStatement[]) => (applyAll(statements), ended.push('succeeded'), outcome),
      failWith: async (_: string, statements: GuardedStatement[]) => (
        applyAll(statements),
        ended.push('failed'),
        outcome
      ),
      // A step that ended (a redelivered job) ends its job without statements.
      succeed: async () => (ended.push('succeeded'), outcome),
    } as unknown as JobContext<{ tenantId: string }>;
    return { ctx, ended };
  };
  const run = (crashAtRecord?: number) => {
    const c = context(crashAtRecord);
    return job.run(c.ctx).then(() => c.ended);
  };
  const giveUp = (error: unknown) => {
    const c = context();
    return job.giveUp(c.ctx, error).then(() => c.ended);
  };
  const openPassword = () => cipher.open(sealed.get(store.tenant.id)!, secretAad(store.tenant.id));
  return { server, store, emitted, run, giveUp, openPassword, hasSecret: () => sealed.has(store.tenant.id) };
}

describe('CreateTenantJob (step 1 on the shared step machinery)', () => {
  it('creates the tenant once, with the password sealed and the intent recorded before the call, and emits TenantCreated', async () => {
    const h = harness();
    const before: { sealed: boolean; intent: boolean }[] = [];
    h.server.onCreate = () => before.push({ sealed: h.hasSecret(), intent: h.store.tenant.createIntentAt !== null });

    expect(await h.run()).toEqual(['succeeded']);

    expect(before).toEqual([{ sealed: true, intent: true }]);
    expect(h.server.calls).toHaveLength(1);
    const call = h.server.calls[0];
    expect(call).toMatchObject({ name: 'Acme', type: 'Complete', vKsc: { name: 'acme-admin' } });
    expect(call.vKsc?.password).toBe(h.openPassword());
    expect(call.userData).toContain(orderMarker('order-1'));
    const created = h.server.tenants[0];
    expect(h.emitted).toEqual([
      {
        name: 'TenantCreated',
        payload: expect.objectContaining({
          tenantId: h.store.tenant.id,
          siteId: 'site-1',
          orderId: 'order-1',
          integrationServerTenantId: created.id,
          virtualServerId: '17',
          adminAccountName: 'acme-admin',
        }),
      },
    ]);
    expect(JSON.stringify(h.emitted)).not.toContain(h.openPassword());
    expect(h.store.tenant).toMatchObject({
      isTenantId: created.id,
      virtualServerId: '17',
      currentStep: 'configure-svm',
      createTaskId: h.server.tasks[0].id,
    });
    expect(h.store.timeline.get('create-tenant')).toMatchObject({
      status: 'succeeded',
      externalTaskIds: [h.server.tasks[0].id],
      details: { integrationServerTenantId: created.id, virtualServerId: '17' },
    });
    expect(h.store.timeline.get('configure-svm')?.status).toBe('running');
    // A redelivered job after success does nothing.
    expect(await h.run()).toEqual(['succeeded']);
    expect(h.server.calls).toHaveLength(1);
    expect(h.emitted).toHaveLength(1);
    // A first try has nothing of its own to find: it never lists the site's tenants (O(n) per order).
    expect(h.server.listCalls).toBe(0);
  });

  it("a same-named tenant that is not ours (the task fails with VIRMT_TenantGroupAlreadyExists) fails the step with the vendor's code, naming the clash", async () => {
    const h = harness();
    h.server.tenants.push({ id: randomUUID(), name: 'Acme', userData: 'someone else', vKsc: { id: '3' } });
    h.server.next.push('Failed');

    expect(await h.run()).toEqual(['failed']);

    expect(h.server.listCalls).toBe(1); // looked up only after the refusal, to tell ours from theirs
    expect(h.emitted).toEqual([
      {
        name: 'OnboardingStepFailed',
        payload: expect.objectContaining({
          code: 'VIRMT_TenantGroupAlreadyExists',
          retryable: false,
          message: expect.stringContaining('already has a tenant named "Acme" that this platform did not create'),
        }),
      },
    ]);
    expect(h.store.tenant).toMatchObject({ status: 'failed', createTaskId: null, createIntentAt: null });
  });

  it('a failed task whose tenant turns out to be ours (same name, our order marker) is taken as created', async () => {
    const h = harness();
    h.server.next.push('Failed');
    h.server.onCreate = (req) =>
      void h.server.tenants.push({ id: randomUUID(), name: req.name, userData: req.userData, vKsc: { id: '21' } });

    expect(await h.run()).toEqual(['succeeded']);

    expect(h.emitted[0]).toMatchObject({ name: 'TenantCreated', payload: { virtualServerId: '21' } });
  });

  it('a permanent vendor answer (400 with a vendor code) fails the step at once with that code', async () => {
    const h = harness();
    h.server.next.push(
      IntegrationServerError.fromResponse(
        400,
        '<error><code>VIRMT_InvalidTenantType</code><message>bad tenant type</message></error>',
        'CreateTenant',
      ),
    );

    expect(await h.run()).toEqual(['failed']);

    expect(h.emitted).toEqual([
      {
        name: 'OnboardingStepFailed',
        payload: expect.objectContaining({
          tenantId: h.store.tenant.id,
          step: 'create-tenant',
          code: 'VIRMT_InvalidTenantType',
          retryable: false,
          attempt: 1,
        }),
      },
    ]);
    expect(h.store.tenant).toMatchObject({
      status: 'failed',
      failure: { step: 'create-tenant', code: 'VIRMT_InvalidTenantType', retryable: false },
      // Refused at the call: no task exists, so a retry creates again without an in-doubt wait.
      createIntentAt: null,
      createTaskId: null,
    });
    expect(h.store.timeline.get('create-tenant')).toMatchObject({
      status: 'failed',
      errorCode: 'VIRMT_InvalidTenantType',
    });
    expect(h.store.operation.failed?.code).toBe('VIRMT_InvalidTenantType');
  });

  it('a failed CreateTenant task fails the step naming the task, and clears it so a retry creates again', async () => {
    const h = harness();
    h.server.next.push('Failed');

    expect(await h.run()).toEqual(['failed']);

    const taskId = h.server.tasks[0].id;
    expect(h.emitted[0]).toMatchObject({
      name: 'OnboardingStepFailed',
      payload: { code: 'VIRMT_TenantGroupAlreadyExists', externalTaskIds: [taskId], retryable: false },
    });
    expect(h.store.tenant).toMatchObject({ status: 'failed', createTaskId: null, createIntentAt: null });
  });

  it('a transient vendor error goes back to the job runner (retried later), and the retry creates the tenant once', async () => {
    const h = harness();
    h.server.next.push(IntegrationServerError.fromResponse(503, '<message>busy</message>', 'CreateTenant'));

    const first = h.run();
    await expect(first).rejects.toMatchObject({ code: 'IS_HTTP_503', retryable: true });
    expect(h.emitted).toEqual([]);
    expect(h.store.tenant.status).toBe('onboarding');

    expect(await h.run()).toEqual(['succeeded']);
    expect(h.server.tenants).toHaveLength(1);
    expect(h.emitted.map((e) => e.name)).toEqual(['TenantCreated']);
  });

  it('a crash before the sealed password and the intent commit (one record) makes no call; the next run creates once with a stored password', async () => {
    const h = harness();
    await expect(h.run(1)).rejects.toThrow('worker killed');
    expect(h.server.calls).toHaveLength(0);
    expect(h.hasSecret()).toBe(false);
    expect(h.store.tenant.createIntentAt).toBeNull();

    expect(await h.run()).toEqual(['succeeded']);
    expect(h.server.calls).toHaveLength(1);
    expect(h.server.calls[0].vKsc?.password).toBe(h.openPassword());
  });

  it('after a crash between the call and its commit, the in-doubt lookup finds the tenant: CreateTenant exactly once', async () => {
    const h = harness();
    // The call reached the server, the worker died before recording the task id.
    await expect(h.run(2)).rejects.toThrow('worker killed');
    expect(h.server.calls).toHaveLength(1);
    expect(h.store.tenant.createIntentAt).not.toBeNull();
    expect(h.store.tenant.createTaskId).toBeNull();

    expect(await h.run()).toEqual(['succeeded']);

    expect(h.server.calls).toHaveLength(1);
    expect(h.server.tenants).toHaveLength(1);
    expect(h.emitted).toEqual([
      {
        name: 'TenantCreated',
        payload: expect.objectContaining({ integrationServerTenantId: h.server.tenants[0].id }),
      },
    ]);
  });

  it('in doubt while a CreateTenant task started since the intent is still running: waits, creates nothing', async () => {
    const h = harness();
    h.server.next.push('Running');
    await expect(h.run(2)).rejects.toThrow('worker killed');

    await expect(h.run()).rejects.toMatchObject({ code: 'CREATE_IN_DOUBT', retryable: true });

    expect(h.server.calls).toHaveLength(1);
    expect(h.emitted).toEqual([]);
  });

  it('a give-up keeps the task id, names it in the retryable failure event, so a retry polls it', async () => {
    const h = harness();
    h.server.next.push('Running');
    await expect(h.run()).rejects.toMatchObject({ code: 'IS_TASK_TIMEOUT' });
    const taskId = h.server.tasks[0].id;

    expect(await h.giveUp(new DomainError('IS_TASK_TIMEOUT', 'still running', { retryable: true }))).toEqual([
      'failed',
    ]);

    expect(h.emitted).toEqual([
      {
        name: 'OnboardingStepFailed',
        payload: expect.objectContaining({ code: 'IS_TASK_TIMEOUT', retryable: true, externalTaskIds: [taskId] }),
      },
    ]);
    expect(h.store.tenant).toMatchObject({ status: 'failed', createTaskId: taskId });
  });
});
