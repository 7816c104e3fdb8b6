import { randomUUID } from 'node:crypto';
import { OutboxRelay, OutboxRepository, OutboxWriter, PendingOutboxRow } from '@tpo/messaging';
import { eventually, sql, startTestService, TestService } from '../support/harness';
import { PROBE_EVENTS, ProbeControl, TestProbe } from '../support/probe';
import { isolatedMessaging } from '../support/test-env';
import { emitProbes, PROBE_CONSUMER, PROBE_PRODUCER, useProbeBus } from '../support/outbox-probes';

/**
 * 11.g: the outbox relay publishes the rows its own process just committed (handed over after the
 * commit, in NOTIFY order) without reading the table, marks them in batches, and still reads the
 * table for everything else: a hand-over that never came, a process that died between commit and
 * publish, other replicas' rows.
 */
const PRODUCER = PROBE_PRODUCER;
const CONSUMER = PROBE_CONSUMER;

async function appliedCount(probeIds: string[]): Promise<number> {
  const [row] = await sql<{ n: number }>(
    CONSUMER,
    `SELECT count(*)::int AS n FROM outbox WHERE event_key = 'test-probe-applied.v1' AND envelope->'data'->>'probeId' = ANY($1)`,
    [probeIds],
  );
  return row.n;
}

async function unpublished(ids: string[]): Promise<number> {
  const [row] = await sql<{ n: number }>(
    PRODUCER,
    `SELECT count(*)::int AS n FROM outbox WHERE id = ANY($1::uuid[]) AND published_at IS NULL`,
    [ids],
  );
  return row.n;
}

/** Counts the relay's reads of the table and its marks (the statements this change saves). */
function countOutboxStatements(svc: TestService) {
  const repo = svc.app.get(OutboxRepository);
  const counts = { fetches: 0, marks: 0, marked: 0 };
  const fetchPending = repo.fetchPending.bind(repo);
  const markPublished = repo.markPublished.bind(repo);
  repo.fetchPending = (limit) => {
    counts.fetches++;
    return fetchPending(limit);
  };
  repo.markPublished = (ids) => {
    counts.marks++;
    counts.marked += ids.length;
    return markPublished(ids);
  };
  return counts;
}

async function leaderOf(svc: TestService): Promise<OutboxRelay> {
  const relay = svc.app.get(OutboxRelay);
  await eventually(async () => relay.isLeader());
  // The start's read of the table is done once nothing is pending.
  await eventually(async () => {
    const [row] = await sql<{ n: number }>(
      PRODUCER,
      `SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`,
    );
    return row.n === 0;
  });
  return relay;
}

describe('outbox relay: publish what was just committed (real Postgres + JetStream)', () => {
  const messaging = isolatedMessaging();
  const services: TestService[] = [];
  useProbeBus(messaging);

  afterEach(async () => {
    for (const s of services.splice(0)) await s.close().catch(() => undefined);
  });

  beforeEach(() => ProbeControl.reset());

  /** A producer replica (the probe events, this suite's stream), closed after the test. */
  async function startProducer(env: Record<string, string> = {}): Promise<TestService> {
    const producer = await startTestService({ service: PRODUCER, messaging, extraEvents: PROBE_EVENTS, env });
    services.push(producer);
    return producer;
  }

  it("publishes its own committed rows without reading the table, marks them in batches, keeps each tenant's order", async () => {
    const producer = await startProducer({ OUTBOX_POLL_INTERVAL_MS: '60000' });
    await leaderOf(producer);
    const counts = countOutboxStatements(producer);
    const tenants = [randomUUID(), randomUUID(), randomUUID()];
    const probes = Array.from({ length: 60 }, (_, n) => ({ probeId: randomUUID(), n, tenantId: tenants[n % 3] }));
    // 30 transactions of two events, one after the other, and 3 single events outside a transaction.
    const ids: string[] = [];
    for (let i = 0; i < probes.length; i += 2) ids.push(...(await emitProbes(producer, probes.slice(i, i + 2))));
    const writer = producer.app.get(OutboxWriter);
    const extra = tenants.map((tenantId, k) => ({ probeId: randomUUID(), n: 60 + k, tenantId }));
    for (const p of extra)
      ids.push((await writer.emit(TestProbe, { probeId: p.probeId, n: p.n }, { tenantId: p.tenantId })).id);

    await eventually(async () => (await appliedCount([...probes, ...extra].map((p) => p.probeId))) === 63, 20_000);
    await eventually(async () => (await unpublished(ids)) === 0, 5_000);
    for (const t of tenants) {
      const order = ProbeControl.order.get(t)!;
      expect(order).toHaveLength(21);
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
    // The old relay read the table after every commit's NOTIFY and marked each round's rows.
    expect(counts.fetches).toBe(0);
    expect(counts.marked).toBe(63);
    expect(counts.marks).toBeLessThan(33 / 2);
  });

  it('a lost hand-over (a commit whose outcome the writer did not see) is published from the table on its NOTIFY', async () => {
    const producer = await startProducer({ OUTBOX_POLL_INTERVAL_MS: '60000' });
    const relay = await leaderOf(producer);
    const counts = countOutboxStatements(producer);
    const dropped: PendingOutboxRow[][] = [];
    relay.handOver = (rows) => void dropped.push(rows);
    const probeId = randomUUID();
    const started = Date.now();
    const [id] = await emitProbes(producer, [{ probeId, tenantId: randomUUID() }]);
    await eventually(async () => (await appliedCount([probeId])) === 1, 10_000);
    expect(Date.now() - started).toBeLessThan(5_000); // not the 60 s poll
    expect(dropped.flat().map((r) => r.id)).toEqual([id]);
    expect(counts.fetches).toBeGreaterThanOrEqual(1);
    await eventually(async () => (await unpublished([id])) === 0);
  });

  it('a process that dies between commit and publish: its rows are published by the next relay, once', async () => {
    const a = await startProducer();
    const relayA = await leaderOf(a);
    // "Dies" right after the commit: the relay stops before the hand-over reaches it.
    let stopped: Promise<void> | undefined;
    relayA.handOver = () => {
      stopped ??= relayA.stop();
    };
    const tenantId = randomUUID();
    const probes = [0, 1, 2].map((n) => ({ probeId: randomUUID(), n, tenantId }));
    const ids = await emitProbes(a, probes);
    await stopped;
    await new Promise((r) => setTimeout(r, 500));
    expect(await unpublished(ids)).toBe(3);
    expect(await appliedCount(probes.map((p) => p.probeId))).toBe(0);

    await startProducer(); // replica b: its relay finds a's committed rows in the table
    await eventually(async () => (await appliedCount(probes.map((p) => p.probeId))) === 3, 15_000);
    expect(ProbeControl.order.get(tenantId)).toEqual([0, 1, 2]);
    await eventually(async () => (await unpublished(ids)) === 0);
  });

  it('rows of this process and of another replica, for one tenant, alternately: every event once, in commit order', async () => {
    const a = await startProducer();
    await leaderOf(a);
    const b = await startProducer();
    expect(b.app.get(OutboxRelay).isLeader()).toBe(false);
    const counts = countOutboxStatements(a);
    const tenantId = randomUUID();
    const probes = Array.from({ length: 30 }, (_, n) => ({ probeId: randomUUID(), n, tenantId }));
    // Each event committed before the next is written; odd ones by the replica whose relay stands by.
    const ids: string[] = [];
    for (const p of probes) ids.push(...(await emitProbes(p.n! % 2 === 0 ? a : b, [p])));
    await eventually(async () => (await appliedCount(probes.map((p) => p.probeId))) === 30, 20_000);
    expect(ProbeControl.order.get(tenantId)).toEqual(probes.map((p) => p.n));
    expect(counts.fetches).toBeGreaterThanOrEqual(1); // the other replica's rows are read from the table
    await eventually(async () => (await unpublished(ids)) === 0);
    await new Promise((r) => setTimeout(r, 300));
    const [inbox] = await sql<{ n: number }>(
      CONSUMER,
      `SELECT count(*)::int AS n FROM inbox WHERE event_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(inbox.n).toBe(30);
    expect(await appliedCount(probes.map((p) => p.probeId))).toBe(30);
  });
});
