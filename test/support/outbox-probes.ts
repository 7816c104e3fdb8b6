import { OutboxWriter } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { NatsConnection } from 'nats';
import { applyTestTopology, deleteStream, natsConnect, resetSchema, startTestService, TestService } from './harness';
import { PROBE_EVENTS, ProbeModule, TestProbe } from './probe';
import type { isolatedMessaging } from './test-env';

/** The outbox specs' producer (writes and relays probes) and consumer (applies them) services. */
export const PROBE_PRODUCER = 'svm-config-service';
export const PROBE_CONSUMER = 'tenant-service';

/** Emits probes from `svc` in one transaction, in order; returns their event ids. */
export async function emitProbes(
  svc: TestService,
  probes: { probeId: string; n?: number; tenantId?: string }[],
): Promise<string[]> {
  const writer = svc.app.get(OutboxWriter);
  return svc.app.get(UnitOfWork).run(async () => {
    const ids: string[] = [];
    for (const p of probes)
      ids.push((await writer.emit(TestProbe, { probeId: p.probeId, n: p.n }, { tenantId: p.tenantId })).id);
    return ids;
  });
}

/** Empty producer and consumer schemas, the probe topology, and the consumer service running. */
export async function startProbeConsumer(
  nc: NatsConnection,
  messaging: ReturnType<typeof isolatedMessaging>,
): Promise<TestService> {
  await resetSchema(PROBE_PRODUCER);
  await resetSchema(PROBE_CONSUMER);
  await applyTestTopology(nc, messaging, { [PROBE_CONSUMER]: ['test-probe.v1'] }, PROBE_EVENTS);
  return startTestService({
    service: PROBE_CONSUMER,
    messaging,
    imports: [ProbeModule],
    extraEvents: PROBE_EVENTS,
    env: { EVENT_CONCURRENCY: '8' },
  });
}

/**
 * An outbox suite's bus, set up once for the suite (jest hooks, registered where this is called): a
 * NATS connection and the probe consumer (startProbeConsumer) before its tests; after them the
 * consumer closed, the suite's stream deleted and the connection closed (after the suite's own
 * afterAll hooks declared before this call).
 */
export function useProbeBus(messaging: ReturnType<typeof isolatedMessaging>): { readonly nc: NatsConnection } {
  const bus: { nc?: NatsConnection; consumer?: TestService } = {};
  beforeAll(async () => {
    bus.nc = await natsConnect();
    bus.consumer = await startProbeConsumer(bus.nc, messaging);
  });
  afterAll(async () => {
    await bus.consumer?.close();
    if (bus.nc) await deleteStream(bus.nc, messaging);
    await bus.nc?.close();
  });
  return {
    get nc(): NatsConnection {
      if (!bus.nc) throw new Error('the probe bus is not connected yet (use it inside a test)');
      return bus.nc;
    },
  };
}
