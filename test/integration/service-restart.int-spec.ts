import { randomUUID } from 'node:crypto';
import { NatsConnection } from 'nats';
import {
  applyTestTopology,
  clientFor,
  deleteStream,
  eventually,
  natsConnect,
  resetSchema,
  sql,
  startTestService,
} from '../support/harness';
import { PROBE_EVENTS, ProbeControl, ProbeModule, probeEnvelope, TestProbe } from '../support/probe';
import { isolatedMessaging } from '../support/test-env';

const SERVICE = 'registration-service';

async function appliedCount(probeIds: string[]): Promise<number> {
  const [row] = await sql<{ n: number }>(
    SERVICE,
    `SELECT count(DISTINCT envelope->'data'->>'probeId')::int AS n FROM outbox WHERE envelope->'data'->>'probeId' = ANY($1)`,
    [probeIds],
  );
  return row.n;
}

describe('service stop, restart and graceful shutdown (real Postgres + JetStream)', () => {
  const messaging = isolatedMessaging();
  let nc: NatsConnection;
  const start = () =>
    startTestService({ service: SERVICE, messaging, imports: [ProbeModule], extraEvents: PROBE_EVENTS });

  beforeAll(async () => {
    nc = await natsConnect();
    await resetSchema(SERVICE);
    await applyTestTopology(nc, messaging, { [SERVICE]: ['test-probe.v1'] }, PROBE_EVENTS);
  });

  afterAll(async () => {
    await deleteStream(nc, messaging);
    await nc?.close();
  });

  beforeEach(() => ProbeControl.reset());

  it('events published while the service is down are all processed after it restarts; none lost, none doubled', async () => {
    const first = await start();
    await first.close();
    const client = clientFor(nc, messaging);
    const probeIds = Array.from({ length: 50 }, () => randomUUID());
    for (const probeId of probeIds) await client.publishEvent(TestProbe, probeEnvelope({ probeId }));
    const second = await start();
    try {
      await eventually(async () => (await appliedCount(probeIds)) === 50, 20_000);
      const [rows] = await sql<{ n: number }>(
        SERVICE,
        `SELECT count(*)::int AS n FROM outbox WHERE envelope->'data'->>'probeId' = ANY($1)`,
        [probeIds],
      );
      expect(rows.n).toBe(50);
    } finally {
      await second.close();
    }
  });

  it('on shutdown it stops pulling, finishes the in-flight event, commits and acks it', async () => {
    const svc = await start();
    const probeId = randomUUID();
    ProbeControl.delayMs.set(probeId, 1500);
    await clientFor(nc, messaging).publishEvent(TestProbe, probeEnvelope({ probeId }));
    await eventually(async () => ProbeControl.calls.has(probeId));
    await svc.close(); // returns only after the handler finished
    expect(await appliedCount([probeId])).toBe(1);
    const jsm = await nc.jetstreamManager();
    const info = await jsm.consumers.info(messaging.stream, `${SERVICE}--test-probe-v1`);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });
});
