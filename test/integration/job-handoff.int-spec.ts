import { randomUUID } from 'node:crypto';
import { Controller, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { EventEnvelope } from '@tpo/contracts';
import { ClaimResult, JobContext, JobEnqueuer, JobHandler, JobOutcome, JobRepository, JobRunner } from '@tpo/jobs';
import { OnEvent } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { createLogger } from '@tpo/platform';
import { NatsConnection } from 'nats';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  applyTestTopology,
  clientFor,
  deleteStream,
  eventually,
  natsConnect,
  resetSchema,
  sql,
  startTestService,
  TestService,
} from '../support/harness';
import { testRunnerOptions } from '../support/job-fixtures';
import { PROBE_EVENTS, probeEnvelope, TestProbe, TestProbeV1 } from '../support/probe';
import { isolatedMessaging, serviceLayout, testDatabaseUrl } from '../support/test-env';

const SERVICE = 'tenant-service';
const KIND = 'handoff-probe';
const LEASE_MS = 3000;

interface Run {
  replica: string;
  fence: number;
  tries: number;
  at: number;
}

/** What the probe jobs did, and gates that keep a job (and its slot) busy until a test opens them. */
const Control = {
  runs: new Map<string, Run[]>(),
  gates: new Map<string, Promise<void>>(),
  openers: new Map<string, () => void>(),
  hold(probeId: string): void {
    this.gates.set(probeId, new Promise<void>((r) => this.openers.set(probeId, r)));
  },
  open(probeId: string): void {
    this.openers.get(probeId)?.();
  },
};

class ProbeJob implements JobHandler<{ probeId: string }> {
  readonly kind = KIND;
  constructor(private readonly replica: string) {}

  async run(ctx: JobContext<{ probeId: string }>): Promise<JobOutcome> {
    const { probeId } = ctx.job.payload;
    const run = { replica: this.replica, fence: ctx.job.fence, tries: ctx.job.tries, at: Date.now() };
    Control.runs.set(probeId, [...(Control.runs.get(probeId) ?? []), run]);
    await Control.gates.get(probeId);
    return ctx.succeed();
  }

  async giveUp(ctx: JobContext<{ probeId: string }>): Promise<JobOutcome> {
    return ctx.fail('gave up');
  }
}

@Injectable()
class ProbeJobRegistration implements OnModuleInit {
  constructor(private readonly runner: JobRunner) {}
  onModuleInit(): void {
    this.runner.register(new ProbeJob('A'));
  }
}

/** The consumer of a step service, reduced to its intake: one job per probe, at the site named by `marker`. */
@Controller()
class HandoffProbeMessageController {
  constructor(private readonly jobs: JobEnqueuer) {}

  @OnEvent(TestProbe)
  async onProbe(@Payload() e: EventEnvelope<TestProbeV1>): Promise<void> {
    await this.jobs.enqueue(KIND, e.data.probeId, { probeId: e.data.probeId }, e.data.marker);
  }
}

@Module({ controllers: [HandoffProbeMessageController], providers: [ProbeJobRegistration] })
class HandoffProbeModule {}

interface JobRow {
  id: string;
  status: string;
  fence: string;
  tries: number;
  lease_until: Date | null;
  leased: boolean;
}

async function jobRows(probeId: string): Promise<JobRow[]> {
  return sql<JobRow>(
    SERVICE,
    `SELECT id, status, fence, tries, lease_until, lease_until > now() AS leased FROM job WHERE kind = $1 AND key = $2`,
    [KIND, probeId],
  );
}

describe('a consumed event’s job goes straight to the local runner (real Postgres + JetStream)', () => {
  const messaging = isolatedMessaging();
  let nc: NatsConnection;
  let svc: TestService;
  let runner: JobRunner;
  let listener: Client;
  /** Job ids returned by replica A's claim statement: a handed-over job never shows here. */
  const claimedByA: string[] = [];
  let claimsPaused = false;
  const notifications: number[] = [];
  const crashAfterCommit = new Set<string>();
  const afterCommitCalls = new Map<string, number>();

  const publish = (data: Partial<TestProbeV1>) => {
    const envelope = probeEnvelope(data);
    return clientFor(nc, messaging)
      .publishEvent(TestProbe, envelope)
      .then(() => envelope);
  };

  beforeAll(async () => {
    nc = await natsConnect();
    await resetSchema(SERVICE, ['outbox', 'inbox', 'dead_letter', 'job']);
    await applyTestTopology(nc, messaging, { [SERVICE]: ['test-probe.v1'] }, PROBE_EVENTS, {
      ack_wait_seconds: 2,
      backoff_seconds: [],
    });
    listener = new Client({ connectionString: testDatabaseUrl(SERVICE) });
    await listener.connect();
    listener.on('notification', () => notifications.push(Date.now()));
    await listener.query(`LISTEN "${serviceLayout(SERVICE).schema}_job"`);
    svc = await startTestService({
      service: SERVICE,
      messaging,
      imports: [HandoffProbeModule],
      extraEvents: PROBE_EVENTS,
      env: { JOB_CONCURRENCY: '2', JOB_SITE_CONCURRENCY: '1', JOB_LEASE_MS: String(LEASE_MS) },
      testHooks: {
        afterCommit: async (envelope: EventEnvelope) => {
          afterCommitCalls.set(envelope.id, (afterCommitCalls.get(envelope.id) ?? 0) + 1);
          if (crashAfterCommit.delete(envelope.id)) throw new Error('simulated crash after commit, before ack');
        },
      },
    });
    runner = svc.app.get(JobRunner);
    // Instrument replica A's claim statement (the runner holds this very repository).
    const repo = svc.app.get(JobRepository);
    const claimDue = repo.claimDue.bind(repo);
    jest.spyOn(repo, 'claimDue').mockImplementation(async (...args): Promise<ClaimResult> => {
      if (claimsPaused) return { jobs: [], nextDueMs: undefined };
      const r = await claimDue(...args);
      claimedByA.push(...r.jobs.map((j) => j.id));
      return r;
    });
  });

  afterAll(async () => {
    for (const open of Control.openers.values()) open();
    await svc?.close();
    await listener?.end();
    await deleteStream(nc, messaging);
    await nc?.close();
  });

  it('(a) runs the job without a claim statement: inserted running under the lease, fence 1, and no NOTIFY', async () => {
    const probeId = randomUUID();
    Control.hold(probeId);
    const notifiedBefore = notifications.length;
    await publish({ probeId, marker: 'site-a' });
    await eventually(async () => Control.runs.get(probeId)?.length === 1);
    const [running] = await jobRows(probeId);
    expect(running).toMatchObject({ status: 'running', fence: '1', tries: 1, leased: true });
    Control.open(probeId);
    await eventually(async () => (await jobRows(probeId))[0]?.status === 'succeeded');
    expect(Control.runs.get(probeId)).toEqual([expect.objectContaining({ replica: 'A', fence: 1, tries: 1 })]);
    expect(claimedByA).not.toContain(running.id);
    await new Promise((r) => setTimeout(r, 200)); // a notification would have arrived by now
    expect(notifications.length).toBe(notifiedBefore);
    await eventually(async () => runner.activeCount === 0);
  });

  it('(b) a crash after the commit, before the hand-off, is recovered by another runner once the lease expires', async () => {
    const probeId = randomUUID();
    // Replica A dies right after its inbox transaction committed: the job is never handed over and
    // A claims nothing any more; its slot goes with it.
    const reserve = runner.reserve.bind(runner);
    jest.spyOn(runner, 'reserve').mockImplementationOnce((kind, siteId) => {
      const slot = reserve(kind, siteId);
      return slot && { leaseMs: slot.leaseMs, start: () => slot.cancel(), cancel: () => slot.cancel() };
    });
    claimsPaused = true;
    const ds = await new DataSource({ type: 'postgres', url: testDatabaseUrl(SERVICE) }).initialize();
    const uow = new UnitOfWork(ds);
    const replicaB = new JobRunner(new JobRepository(uow), uow, createLogger('handoff-test', 'silent'), {
      ...testRunnerOptions(SERVICE, serviceLayout(SERVICE).schema),
      leaseMs: LEASE_MS,
    });
    replicaB.register(new ProbeJob('B'));
    try {
      const published = Date.now();
      await publish({ probeId, marker: 'site-b' });
      await eventually(async () => (await jobRows(probeId))[0]?.status === 'running');
      const [orphan] = await jobRows(probeId);
      expect(orphan).toMatchObject({ fence: '1', tries: 1, leased: true });
      // Another replica (or A restarted): its claims see the lease and it wakes when the lease expires.
      await replicaB.start();
      await eventually(async () => (await jobRows(probeId))[0]?.status === 'succeeded', 15_000, 100);
      const runs = Control.runs.get(probeId)!;
      expect(runs).toEqual([expect.objectContaining({ replica: 'B', fence: 2, tries: 2 })]);
      // Not before the lease A inserted the row with ran out.
      expect(runs[0].at - published).toBeGreaterThanOrEqual(LEASE_MS - 500);
    } finally {
      await replicaB.stop();
      await ds.destroy();
      claimsPaused = false;
    }
  }, 30_000);

  it('(c) a runner without a slot for the site leaves the job pending (NOTIFY) and claims it when one frees', async () => {
    const busy = randomUUID();
    const waiting = randomUUID();
    const elsewhere = randomUUID();
    Control.hold(busy);
    await publish({ probeId: busy, marker: 'site-c' });
    await eventually(async () => Control.runs.get(busy)?.length === 1);
    const notifiedBefore = notifications.length;
    // Site c is at its limit (1); site d still has a slot (2 in all).
    await publish({ probeId: waiting, marker: 'site-c' });
    await publish({ probeId: elsewhere, marker: 'site-d' });
    await eventually(async () => (await jobRows(elsewhere))[0]?.status === 'succeeded');
    const [pending] = await jobRows(waiting);
    expect(pending).toMatchObject({ status: 'pending', fence: '0', tries: 0 });
    expect(Control.runs.get(waiting)).toBeUndefined();
    await eventually(async () => notifications.length > notifiedBefore);
    const [direct] = await jobRows(elsewhere);
    expect(claimedByA).not.toContain(direct.id);

    Control.open(busy);
    await eventually(async () => (await jobRows(waiting))[0]?.status === 'succeeded');
    expect(claimedByA).toContain(pending.id);
    expect(Control.runs.get(waiting)).toEqual([expect.objectContaining({ replica: 'A', fence: 1, tries: 1 })]);
  });

  it('(d) a redelivered event (crash between commit and ack) and a second event for the same job create and run nothing more', async () => {
    const probeId = randomUUID();
    const envelope = probeEnvelope({ probeId, marker: 'site-e' });
    crashAfterCommit.add(envelope.id);
    await clientFor(nc, messaging).publishEvent(TestProbe, envelope);
    await eventually(async () => (afterCommitCalls.get(envelope.id) ?? 0) >= 2, 20_000);
    // Another event asking for the same job (kind, key): the insert finds it and hands nothing over.
    const second = await publish({ probeId, marker: 'site-e' });
    await eventually(async () => (afterCommitCalls.get(second.id) ?? 0) >= 1);
    await eventually(async () => (await jobRows(probeId))[0]?.status === 'succeeded');
    await new Promise((r) => setTimeout(r, 300));
    expect(await jobRows(probeId)).toHaveLength(1);
    expect(Control.runs.get(probeId)).toEqual([expect.objectContaining({ fence: 1, tries: 1 })]);
    const [inbox] = await sql<{ n: number }>(SERVICE, `SELECT count(*)::int AS n FROM inbox WHERE event_id = $1`, [
      envelope.id,
    ]);
    expect(inbox.n).toBe(1);
    // No slot leaked: both of the runner's slots are free again and still taken by a hand-over.
    await eventually(async () => runner.activeCount === 0);
    const next = randomUUID();
    await publish({ probeId: next, marker: 'site-e' });
    await eventually(async () => (await jobRows(next))[0]?.status === 'succeeded');
    expect(Control.runs.get(next)).toEqual([expect.objectContaining({ fence: 1, tries: 1 })]);
    expect(claimedByA).not.toContain((await jobRows(next))[0].id);
  }, 40_000);
});
