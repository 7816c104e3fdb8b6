import { randomUUID } from 'node:crypto';
import { OutboxRelay } from '@tpo/messaging';
import { eventually, sql, startTestService, TestService } from '../support/harness';
import { PROBE_EVENTS, ProbeControl } from '../support/probe';
import { isolatedMessaging } from '../support/test-env';
import { emitProbes, PROBE_CONSUMER, PROBE_PRODUCER, useProbeBus } from '../support/outbox-probes';

const PRODUCER = PROBE_PRODUCER;
const CONSUMER = PROBE_CONSUMER;

async function appliedCount(probeId: string): Promise<number> {
  const [row] = await sql<{ n: number }>(
    CONSUMER,
    `SELECT count(*)::int AS n FROM outbox WHERE event_key = 'test-probe-applied.v1' AND envelope->'data'->>'probeId' = $1`,
    [probeId],
  );
  return row.n;
}

describe('transactional outbox relay (real Postgres + JetStream)', () => {
  const messaging = isolatedMessaging();
  const services: TestService[] = [];

  afterAll(async () => {
    for (const s of services) await s.close().catch(() => undefined);
  });
  const bus = useProbeBus(messaging);

  beforeEach(() => ProbeControl.reset());

  it('R4: a relay killed between the JetStream ack and marking its rows republishes; the duplicate is dropped and applied once', async () => {
    const publishedIds: string[][] = [];
    let crash = true;
    const producer = await startTestService({
      service: PRODUCER,
      messaging,
      extraEvents: PROBE_EVENTS,
      testHooks: {
        afterPublish: async (ids) => {
          publishedIds.push(ids);
          if (crash) {
            crash = false;
            throw new Error('simulated relay crash after PubAck, before marking');
          }
        },
      },
    });
    services.push(producer);
    const probeId = randomUUID();
    const [eventId] = await emitProbes(producer, [{ probeId }]);
    // Published twice (crash, then the retry), marked once, stored once, applied once.
    await eventually(
      async () =>
        (await sql<{ p: Date | null }>(PRODUCER, `SELECT published_at AS p FROM outbox WHERE id = $1`, [eventId]))[0]
          ?.p,
    );
    expect(publishedIds.flat().filter((id) => id === eventId)).toHaveLength(2);
    await eventually(async () => (await appliedCount(probeId)) === 1);
    const jsm = await bus.nc.jetstreamManager();
    const stream = await jsm.streams.info(messaging.stream, {
      subjects_filter: `${messaging.prefix}.evt.test-probe.v1`,
    });
    const [inbox] = await sql<{ n: number }>(CONSUMER, `SELECT count(*)::int AS n FROM inbox WHERE event_id = $1`, [
      eventId,
    ]);
    expect(inbox.n).toBe(1);
    expect(stream.state.subjects?.[`${messaging.prefix}.evt.test-probe.v1`]).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await appliedCount(probeId)).toBe(1);
    await producer.close();
    services.pop();
  });

  it('wakes on commit (LISTEN/NOTIFY) rather than waiting for its poll, even with a one-minute poll interval', async () => {
    const producer = await startTestService({
      service: PRODUCER,
      messaging,
      extraEvents: PROBE_EVENTS,
      env: { OUTBOX_POLL_INTERVAL_MS: '60000' },
    });
    services.push(producer);
    await new Promise((r) => setTimeout(r, 500)); // let the relay take its lock and LISTEN
    const probeId = randomUUID();
    await emitProbes(producer, [{ probeId }]);
    await eventually(async () => (await appliedCount(probeId)) === 1, 10_000);
    await producer.close();
    services.pop();
  });

  it('with two replicas one relay is active, every event is published once and per-tenant order holds', async () => {
    const a = await startTestService({ service: PRODUCER, messaging, extraEvents: PROBE_EVENTS });
    const b = await startTestService({ service: PRODUCER, messaging, extraEvents: PROBE_EVENTS });
    services.push(a, b);
    await eventually(async () => [a, b].some((s) => s.app.get(OutboxRelay).isLeader()));
    expect([a, b].filter((s) => s.app.get(OutboxRelay).isLeader())).toHaveLength(1);

    const tenants = [randomUUID(), randomUUID(), randomUUID()];
    const probes = Array.from({ length: 60 }, (_, n) => ({ probeId: randomUUID(), n, tenantId: tenants[n % 3] }));
    // Emitted from both replicas in several transactions, interleaved.
    for (let i = 0; i < probes.length; i += 10) await emitProbes(i % 20 === 0 ? a : b, probes.slice(i, i + 10));
    await eventually(async () => {
      const [row] = await sql<{ n: number }>(
        CONSUMER,
        `SELECT count(*)::int AS n FROM outbox WHERE event_key = 'test-probe-applied.v1' AND (envelope->'data'->>'n')::int >= 0 AND envelope->>'tenantid' = ANY($1)`,
        [tenants],
      );
      return row.n === 60;
    }, 20_000);
    const [unpublished] = await sql<{ n: number }>(
      PRODUCER,
      `SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`,
    );
    expect(unpublished.n).toBe(0);
    for (const t of tenants) {
      const order = ProbeControl.order.get(t)!;
      expect(order).toEqual([...order].sort((x, y) => x - y));
      expect(order).toHaveLength(20);
    }
  });
});
