import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Controller, DynamicModule, Injectable, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { defineEvent, EVENT_CATALOG, EventEnvelope } from '@tpo/contracts';
import { applyTopology, OnEvent, OutboxWriter } from '@tpo/messaging';
import { UnitOfWork } from '@tpo/persistence';
import { BaseServiceEnv, validateEnv } from '@tpo/platform';
import { createServiceApp, ServiceKitModule } from '@tpo/service-kit';
import { IsNumber, IsUUID } from 'class-validator';
import { AckPolicy, connect, NatsConnection } from 'nats';
import { Client } from 'pg';
import { bootstrapDatabase, loadTopology, migrateAll } from '../bootstrap/bootstrap';
import { databaseUrlOf, devSecrets } from '../bootstrap/local-layout';
import { benchLayout, benchPort, describeMachine, percentile, printResult, round, runBench } from './bench-support';
import { CpuSnapshot, cpuMsPerTenant, cpuSnapshot } from './cpu-census';

/**
 * Backbone benchmark: one hop = emit through the outbox (producer transaction) -> relay ->
 * JetStream -> consumer (inbox + state write + commit). Beside it, in the same run, the floors:
 * plain JetStream publish/consume and plain Postgres transactions doing the same writes. Each
 * prints its CPU per event (`cpuMsPerEvent`) over this process (the two services run in it), the
 * database's Postgres backends and nats-server: what a durable hop costs the cores, the floor under
 * every step of the platform (docs/performance.md 11.ad).
 * Prints the machine and ends with one JSON line. Usage: npm run bench:backbone [-- N]
 * Runs in its own database (TPO_BENCH_DATABASE, default tpo_bench), created and migrated here.
 */
const N = Number(process.argv[2] ?? 5000);
const LATENCY_SAMPLES = 300;

class BenchEventV1 {
  @IsUUID()
  id!: string;

  @IsNumber()
  sentAt!: number;
}
const BenchEvent = defineEvent({
  name: 'BenchHop',
  version: 1,
  payload: BenchEventV1,
  producers: ['tenant-service'],
  consumers: ['svm-config-service'],
  description: 'benchmark only',
});

const received = new Map<string, number>();
let onReceive: (() => void) | undefined;

@Injectable()
class BenchUseCase {
  constructor(private readonly uow: UnitOfWork) {}
  async apply(e: EventEnvelope<BenchEventV1>): Promise<void> {
    // The same kind of state write a real step makes, inside the inbox transaction.
    await this.uow
      .manager()
      .query(`INSERT INTO backbone_ping_hop (ping_id, hop, event_id, route) VALUES ($1, 0, $2, '{bench}')`, [
        e.data.id,
        e.id,
      ]);
  }
}

@Controller()
class BenchController {
  constructor(private readonly useCase: BenchUseCase) {}
  @OnEvent(BenchEvent)
  async handle(@Payload() e: EventEnvelope<BenchEventV1>): Promise<void> {
    await this.useCase.apply(e);
    // Recorded after commit would be ideal; the commit follows immediately in the same tick chain.
    setImmediate(() => {
      received.set(e.data.id, performance.now() - e.data.sentAt);
      onReceive?.();
    });
  }
}

@Module({ controllers: [BenchController], providers: [BenchUseCase] })
class BenchModule {}

async function startService(
  service: string,
  prefix: string,
  stream: string,
  port: number,
  imports: DynamicModule['imports'] = [],
) {
  const layout = benchLayout();
  const s = layout.services.find((x) => x.name === service)!;
  const config = validateEnv(BaseServiceEnv, {
    HTTP_PORT: String(await benchPort(port)),
    AUTH_JWT_SECRET: devSecrets().jwtSecret,
    DATABASE_URL: databaseUrlOf(layout, s),
    DATABASE_SCHEMA: s.schema,
    NATS_URL: layout.natsUrl,
    NATS_STREAM: stream,
    NATS_SUBJECT_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    EVENT_CONCURRENCY: '32',
  });
  @Module({})
  class Root {}
  return createServiceApp(
    {
      module: Root,
      imports: [ServiceKitModule.forRoot({ service, config, extraEvents: [BenchEvent] }), ...(imports ?? [])],
    },
    config,
    { service },
  );
}

async function waitFor(count: () => number, target: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (count() < target) {
    if (Date.now() > deadline) throw new Error(`timed out at ${count()}/${target}`);
    await new Promise<void>((r) => {
      onReceive = r;
      setTimeout(r, 100);
    });
  }
}

async function rawJetStream(nc: NatsConnection, n: number) {
  const id = randomBytes(3).toString('hex');
  const stream = `BENCHRAW_${id}`;
  const subject = `benchraw${id}.x`;
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [subject] });
  await jsm.consumers.add(stream, { durable_name: 'c', ack_policy: AckPolicy.Explicit });
  const js = nc.jetstream();
  const consumer = await js.consumers.get(stream, 'c');
  const latencies: number[] = [];
  let got = 0;
  const messages = await consumer.consume({ max_messages: 256 });
  const done = (async () => {
    for await (const m of messages) {
      latencies.push(performance.now() - Number(m.string()));
      m.ack();
      if (++got >= n + LATENCY_SAMPLES) break;
    }
  })();
  // Throughput: publishes in flight 64 at a time, each awaiting its PubAck.
  const cpuBefore = await cpuSnapshot(NO_CHILDREN);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < n) {
        next++;
        await js.publish(subject, String(performance.now()), { msgID: randomUUID() });
      }
    }),
  );
  while (got < n) await new Promise((r) => setTimeout(r, 5));
  const throughput = n / ((performance.now() - t0) / 1000);
  const cpuMsPerEvent = await cpuPerEventSince(cpuBefore, n);
  latencies.length = 0;
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const before = got;
    await js.publish(subject, String(performance.now()), { msgID: randomUUID() });
    while (got === before) await new Promise((r) => setImmediate(r));
  }
  await done;
  await jsm.streams.delete(stream);
  return {
    eventsPerSec: round(throughput, 0),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    cpuMsPerEvent,
  };
}

async function rawPostgres(n: number) {
  const layout = benchLayout();
  const s = layout.services.find((x) => x.name === 'svm-config-service')!;
  const url = databaseUrlOf(layout, s);
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(
    `CREATE TABLE IF NOT EXISTS bench_outbox (id uuid PRIMARY KEY, env jsonb, published_at timestamptz)`,
  );
  await admin.query(`CREATE TABLE IF NOT EXISTS bench_inbox (c text, id uuid, PRIMARY KEY (c, id))`);
  await admin.query(`CREATE TABLE IF NOT EXISTS bench_state (id uuid, e uuid)`);
  // Same concurrency as the hop's producers; per event: producer tx, relay mark, consumer tx.
  const clients = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const c = new Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  let next = 0;
  const cpuBefore = await cpuSnapshot(NO_CHILDREN);
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (pg) => {
      while (next < n) {
        next++;
        const id = randomUUID();
        await pg.query('BEGIN');
        await pg.query(`INSERT INTO bench_outbox (id, env) VALUES ($1, $2)`, [id, JSON.stringify({ id })]);
        await pg.query('COMMIT');
        await pg.query(`UPDATE bench_outbox SET published_at = now() WHERE id = $1`, [id]);
        await pg.query('BEGIN');
        await pg.query(`INSERT INTO bench_inbox VALUES ('c', $1) ON CONFLICT DO NOTHING`, [id]);
        await pg.query(`INSERT INTO bench_state VALUES ($1, $1)`, [id]);
        await pg.query('COMMIT');
      }
    }),
  );
  const perSec = n / ((performance.now() - t0) / 1000);
  const cpuMsPerEvent = await cpuPerEventSince(cpuBefore, n);
  await Promise.all(clients.map((c) => c.end()));
  await admin.query(`DROP TABLE bench_outbox, bench_inbox, bench_state`);
  await admin.end();
  return {
    eventsPerSec: round(perSec, 0),
    cpuMsPerEvent,
    note: '8 connections, 3 commits per event (producer, relay mark, consumer), no broker',
  };
}

async function main(): Promise<void> {
  const layout = benchLayout();
  await bootstrapDatabase(layout);
  await migrateAll(layout);
  const nc = await connect({ servers: layout.natsUrl.split(',') });
  const machine = await describeMachine(layout);

  const id = randomBytes(3).toString('hex');
  const prefix = `bench${id}`;
  const stream = `BENCH_${id.toUpperCase()}`;
  await applyTopology(
    await nc.jetstreamManager(),
    { ...loadTopology(), consumers: { 'svm-config-service': [BenchEvent.key] } },
    {
      prefix,
      streamName: stream,
      eventKeys: [...EVENT_CATALOG.map((d) => d.key), BenchEvent.key],
    },
  );
  const producer = await startService('tenant-service', prefix, stream, 3991);
  const consumer = await startService('svm-config-service', prefix, stream, 3992, [BenchModule]);
  const writer = producer.get(OutboxWriter);
  const uow = producer.get(UnitOfWork);
  const emit = (count: number) =>
    uow.run(async () => {
      for (let k = 0; k < count; k++) await writer.emit(BenchEvent, { id: randomUUID(), sentAt: performance.now() });
    });

  // Warm-up, then throughput: N events emitted by 8 concurrent writers, 10 per transaction.
  await emit(100);
  await waitFor(() => received.size, 100);
  received.clear();
  const cpuBefore = await cpuSnapshot(NO_CHILDREN);
  const t0 = performance.now();
  let emitted = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (emitted < N) {
        const batch = Math.min(10, N - emitted);
        emitted += batch;
        await emit(batch);
      }
    }),
  );
  await waitFor(() => received.size, N);
  const seconds = (performance.now() - t0) / 1000;
  const cpuMsPerEvent = await cpuPerEventSince(cpuBefore, N);
  const loaded = [...received.values()];
  // Latency: one event at a time (no queueing), emit -> consumer commit.
  received.clear();
  for (let k = 0; k < LATENCY_SAMPLES; k++) {
    await emit(1);
    await waitFor(() => received.size, k + 1);
  }
  const unloaded = [...received.values()];
  await consumer.close();
  await producer.close();
  await (await nc.jetstreamManager()).streams.delete(stream);
  await cleanupBenchRows();

  const hop = {
    events: N,
    eventsPerSec: round(N / seconds, 0),
    p50Ms: round(percentile(unloaded, 50)),
    p99Ms: round(percentile(unloaded, 99)),
    underLoadP50Ms: round(percentile(loaded, 50)),
    underLoadP99Ms: round(percentile(loaded, 99)),
    cpuMsPerEvent,
  };
  console.log('hop (outbox -> relay -> JetStream -> inbox + write + commit):', JSON.stringify(hop));
  const rawJs = await rawJetStream(nc, N);
  console.log('floor: plain JetStream publish + consume + ack:', JSON.stringify(rawJs));
  const rawPg = await rawPostgres(N);
  console.log('floor: plain Postgres transactions with the same writes:', JSON.stringify(rawPg));
  await nc.close();
  printResult('backbone', machine, { hop, rawJetStream: rawJs, rawPostgres: rawPg });
}

/** No child processes: the services run in this one (cpuSnapshot adds it, Postgres and NATS). */
const NO_CHILDREN = { processes: [] };

/**
 * A phase's CPU per event since `before`, by process kind, to 0.01 ms: `thisProcess` (the two
 * services in the hop; the client in the raw floors), `postgres`, `nats-server`, and `all`.
 */
async function cpuPerEventSince(before: CpuSnapshot, events: number): Promise<Record<string, number>> {
  const { platform: _platform, bench, ...rest } = cpuMsPerTenant(before, await cpuSnapshot(NO_CHILDREN), events, 2);
  return { thisProcess: bench ?? 0, ...rest };
}

async function cleanupBenchRows(): Promise<void> {
  const layout = benchLayout();
  for (const name of ['tenant-service', 'svm-config-service']) {
    const pg = new Client({
      connectionString: databaseUrlOf(
        layout,
        layout.services.find((s) => s.name === name)!,
      ),
    });
    await pg.connect();
    await pg.query(`DELETE FROM backbone_ping_hop WHERE route = '{bench}'`);
    await pg.query(`DELETE FROM outbox WHERE event_key = $1`, [BenchEvent.key]);
    await pg.query(`DELETE FROM inbox WHERE event_type = $1`, [BenchEvent.type]);
    await pg.end();
  }
}

runBench(main);
