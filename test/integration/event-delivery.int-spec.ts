import { randomUUID } from 'node:crypto';
import { EventEnvelope } from '@tpo/contracts';
import { NatsConnection } from 'nats';
import request from 'supertest';
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
  authHeaders,
} from '../support/harness';
import { PROBE_EVENTS, ProbeControl, ProbeModule, probeEnvelope, TestProbe } from '../support/probe';
import { isolatedMessaging } from '../support/test-env';

const SERVICE = 'tenant-service';
const CONSUMER = 'tenant-service--test-probe-v1';

/** Committed applications of a probe = TestProbeApplied rows its handler wrote to the outbox. */
async function applied(probeId: string): Promise<number> {
  const [row] = await sql<{ n: number }>(
    SERVICE,
    `SELECT count(*)::int AS n FROM outbox WHERE envelope->'data'->>'probeId' = $1`,
    [probeId],
  );
  return row.n;
}

async function deadLetterFor(eventId: string) {
  const rows = await sql<{ id: string; reason: string; deliveries: number; status: string }>(
    SERVICE,
    `SELECT id, reason, deliveries, status FROM dead_letter WHERE event_id = $1`,
    [eventId],
  );
  return rows[0];
}

describe('event delivery: inbox, retries, dead letters (real Postgres + JetStream)', () => {
  const messaging = isolatedMessaging();
  let nc: NatsConnection;
  let svc: TestService;
  const crashOnce = new Set<string>();
  const afterCommitCalls = new Map<string, number>();

  beforeAll(async () => {
    nc = await natsConnect();
    await resetSchema(SERVICE);
    await applyTestTopology(nc, messaging, { [SERVICE]: ['test-probe.v1'] }, PROBE_EVENTS, {
      ack_wait_seconds: 2,
      backoff_seconds: [],
    });
    svc = await startTestService({
      service: SERVICE,
      messaging,
      imports: [ProbeModule],
      extraEvents: PROBE_EVENTS,
      maxMessageBytes: 16 * 1024,
      testHooks: {
        afterCommit: async (envelope: EventEnvelope) => {
          afterCommitCalls.set(envelope.id, (afterCommitCalls.get(envelope.id) ?? 0) + 1);
          if (crashOnce.delete(envelope.id)) throw new Error('simulated crash after commit, before ack');
        },
      },
    });
  });

  afterAll(async () => {
    await svc?.close();
    await deleteStream(nc, messaging);
    await nc?.close();
  });

  beforeEach(() => ProbeControl.reset());

  it('R1: the same event published twice with one id is stored once and applied once', async () => {
    const client = clientFor(nc, messaging);
    const probeId = randomUUID();
    const envelope = probeEnvelope({ probeId });
    const first = await client.publishEvent(TestProbe, envelope);
    const second = await client.publishEvent(TestProbe, envelope);
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
    await eventually(async () => (await applied(probeId)) === 1);
    const jsm = await nc.jetstreamManager();
    const stored = await jsm.streams.getMessage(messaging.stream, { seq: first.seq });
    expect(stored.header.get('Nats-Msg-Id')).toBe(envelope.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(await applied(probeId)).toBe(1);
  });

  it('a redelivery after a crash between commit and ack is applied once (inbox)', async () => {
    const probeId = randomUUID();
    const envelope = probeEnvelope({ probeId });
    crashOnce.add(envelope.id);
    await clientFor(nc, messaging).publishEvent(TestProbe, envelope);
    // Delivered twice: once committed then "crashed", once more found in the inbox and acked.
    await eventually(async () => (afterCommitCalls.get(envelope.id) ?? 0) >= 2, 20_000);
    expect(await applied(probeId)).toBe(1);
    const [inbox] = await sql<{ n: number }>(SERVICE, `SELECT count(*)::int AS n FROM inbox WHERE event_id = $1`, [
      envelope.id,
    ]);
    expect(inbox.n).toBe(1);
    expect(ProbeControl.calls.get(probeId)).toHaveLength(1);
  });

  it('a transient failure is redelivered with growing delays, then succeeds once', async () => {
    const probeId = randomUUID();
    ProbeControl.failuresLeft.set(probeId, 3);
    await clientFor(nc, messaging).publishEvent(TestProbe, probeEnvelope({ probeId }));
    await eventually(async () => (await applied(probeId)) === 1, 20_000);
    const calls = ProbeControl.calls.get(probeId)!;
    expect(calls).toHaveLength(4);
    const gaps = calls.slice(1).map((t, i) => t - calls[i]);
    // Base 200 ms doubling with ±20 % jitter: ~200, ~400, ~800 ms. No tight loop, and growing.
    expect(gaps[0]).toBeGreaterThanOrEqual(140);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
    expect(gaps[2]).toBeGreaterThan(gaps[1]);
  });

  it('V6: a poison event (fails validation) is dead-lettered at once while other events keep flowing, then replays after the fix', async () => {
    const client = clientFor(nc, messaging);
    const poisonProbe = randomUUID();
    const poison = probeEnvelope({ probeId: poisonProbe, marker: 'legacy' });
    // Published raw, as an upstream system that does not use our validating client would.
    await nc.jetstream().publish(`${messaging.prefix}.evt.test-probe.v1`, JSON.stringify(poison), { msgID: poison.id });
    const healthyProbe = randomUUID();
    await client.publishEvent(TestProbe, probeEnvelope({ probeId: healthyProbe }));

    const letter = await eventually(() => deadLetterFor(poison.id));
    expect(letter.reason).toContain('data.marker');
    expect(letter.deliveries).toBe(1);
    await eventually(async () => (await applied(healthyProbe)) === 1);
    expect(await applied(poisonProbe)).toBe(0);
    const jsm = await nc.jetstreamManager();
    const info = await jsm.consumers.info(messaging.stream, CONSUMER);
    expect(info.num_redelivered).toBe(0);

    const listed = await request(svc.url)
      .get('/v1/dead-letters?status=pending')
      .set(await authHeaders())
      .expect(200);
    expect(listed.body.items.map((d: { eventId: string }) => d.eventId)).toContain(poison.id);

    // Still broken: replay refuses and the letter stays pending.
    await request(svc.url)
      .post(`/v1/dead-letters/${letter.id}/replay`)
      .set(await authHeaders())
      .expect(409);
    expect((await deadLetterFor(poison.id)).status).toBe('pending');

    ProbeControl.acceptLegacy = true; // the consumer is "fixed"
    const replayed = await request(svc.url)
      .post(`/v1/dead-letters/${letter.id}/replay`)
      .set(await authHeaders())
      .expect(200);
    expect(replayed.body.status).toBe('replayed');
    expect(await applied(poisonProbe)).toBe(1);
    await request(svc.url)
      .post(`/v1/dead-letters/${letter.id}/replay`)
      .set(await authHeaders())
      .expect(409);
    expect(await applied(poisonProbe)).toBe(1);
  });

  it('a permanent domain failure is dead-lettered without retries and replays once the cause is fixed', async () => {
    const probeId = randomUUID();
    const envelope = probeEnvelope({ probeId, marker: 'permanent' });
    await clientFor(nc, messaging).publishEvent(TestProbe, envelope);
    const letter = await eventually(() => deadLetterFor(envelope.id));
    expect(letter.reason).toContain('PROBE_REJECTED');
    expect(ProbeControl.calls.get(probeId)).toHaveLength(1);
    ProbeControl.permanentFixed = true;
    await request(svc.url)
      .post(`/v1/dead-letters/${letter.id}/replay`)
      .set(await authHeaders())
      .expect(200);
    expect(await applied(probeId)).toBe(1);
  });

  it('bad input is dead-lettered with a reason, never crash-looped: malformed JSON, unknown version, oversize', async () => {
    const jsm = await nc.jetstreamManager();
    const js = nc.jetstream();
    const subject = `${messaging.prefix}.evt.test-probe.v1`;
    const malformed = await js.publish(subject, '{"id": "oops"', { msgID: randomUUID() });
    const wrongVersion = probeEnvelope({ probeId: randomUUID() }, { type: 'com.tpo.test-probe.v2' });
    await js.publish(subject, JSON.stringify(wrongVersion), { msgID: wrongVersion.id });
    const big = probeEnvelope({ probeId: randomUUID(), marker: 'x'.repeat(20_000) });
    await js.publish(subject, JSON.stringify(big), { msgID: big.id });

    const bySeq = async (seq: number) =>
      (await sql<{ reason: string }>(SERVICE, `SELECT reason FROM dead_letter WHERE stream_seq = $1`, [seq]))[0];
    expect((await eventually(() => bySeq(malformed.seq))).reason).toMatch(/malformed JSON/);
    expect((await eventually(() => deadLetterFor(wrongVersion.id))).reason).toMatch(
      /type: expected com\.tpo\.test-probe\.v1/,
    );
    const oversize = await eventually(
      async () =>
        (
          await sql<{ reason: string }>(SERVICE, `SELECT reason FROM dead_letter WHERE payload LIKE $1`, [
            `%${big.id}%`,
          ])
        )[0],
    );
    expect(oversize.reason).toMatch(/exceeds the 16384-byte limit/);

    // Terminated, not retried: nothing pending, nothing redelivered.
    const info = await eventually(async () => {
      const i = await jsm.consumers.info(messaging.stream, CONSUMER);
      return i.num_ack_pending === 0 && i;
    });
    expect(info.num_redelivered).toBe(0);
    // Still nothing redelivered after the ack wait (2 s here) has passed: the terminations held.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await jsm.consumers.info(messaging.stream, CONSUMER)).num_redelivered).toBe(0);
  });

  it('a producer cannot publish an invalid event through the client', async () => {
    await expect(
      clientFor(nc, messaging).publishEvent(TestProbe, probeEnvelope({ probeId: 'not-a-uuid' })),
    ).rejects.toThrow(/data\.probeId/);
  });

  it('JetStream refuses events on unknown subjects or versions and messages above the stream limit', async () => {
    const js = nc.jetstream();
    await expect(js.publish(`${messaging.prefix}.evt.test-probe.v9`, '{}', { msgID: randomUUID() })).rejects.toThrow();
    const huge = new Uint8Array(1024 * 1024 + 1);
    await expect(js.publish(`${messaging.prefix}.evt.test-probe.v1`, huge, { msgID: randomUUID() })).rejects.toThrow();
  });

  it('exposes event metrics, dead-letter count and readiness', async () => {
    await request(svc.url).get('/health/live').expect(200);
    const ready = await request(svc.url).get('/health/ready').expect(200);
    expect(ready.body.checks).toMatchObject({ postgres: { ok: true }, migrations: { ok: true }, nats: { ok: true } });
    await new Promise((r) => setTimeout(r, 5500)); // gauges refresh every 5 s
    const metrics = (await request(svc.url).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/tpo_events_handled_total\{[^}]*outcome="applied"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/tpo_events_handled_total\{[^}]*outcome="dead_lettered"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/tpo_event_handler_duration_seconds_bucket/);
    expect(metrics).toMatch(/tpo_dead_letters\{[^}]*\} [1-9]/);
    expect(metrics).toMatch(/tpo_outbox_backlog/);
    expect(metrics).toMatch(/tpo_outbox_oldest_age_seconds/);
  });
});
