import 'reflect-metadata';
import { DynamicModule, INestApplication, Module, Type } from '@nestjs/common';
import { EVENT_CATALOG, EventDefinition, EventEnvelope } from '@tpo/contracts';
import { applyTopology, JetStreamClient, Topology } from '@tpo/messaging';
import { BaseServiceEnv, mintToken, Role, validateEnv } from '@tpo/platform';
import { devSecrets } from '@tpo/tools';
import { createServiceApp, ServiceKitModule } from '@tpo/service-kit';
import { connect, NatsConnection } from 'nats';
import { Client } from 'pg';
import { freePort, loadTopology } from '@tpo/tools';
import { serviceLayout, testDatabaseUrl } from './test-env';

export interface Messaging {
  prefix: string;
  stream: string;
}

export const NATS_URL = process.env.TPO_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Creates the stream and the given consumers with the real topology's settings (and overrides). */
export async function applyTestTopology(
  nc: NatsConnection,
  messaging: Messaging,
  consumers: Record<string, string[]>,
  extraEvents: EventDefinition[] = [],
  consumerOverrides: Partial<Topology['consumerDefaults']> = {},
): Promise<void> {
  const base = loadTopology();
  const jsm = await nc.jetstreamManager();
  await applyTopology(
    jsm,
    { ...base, consumers },
    {
      prefix: messaging.prefix,
      streamName: messaging.stream,
      eventKeys: [...EVENT_CATALOG, ...extraEvents].map((d) => d.key),
      consumerOverrides: { ...consumerOverrides },
    },
  );
}

export async function deleteStream(nc: NatsConnection, messaging: Messaging): Promise<void> {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(messaging.stream).catch(() => undefined);
}

/** Empties a service schema's tables so one test file's leftovers cannot leak into the next. */
export async function resetSchema(
  service: string,
  tables = ['outbox', 'inbox', 'dead_letter', 'backbone_ping_hop'],
): Promise<void> {
  const pg = new Client({ connectionString: testDatabaseUrl(service) });
  await pg.connect();
  try {
    await pg.query(`TRUNCATE ${tables.join(', ')}`);
  } finally {
    await pg.end();
  }
}

export async function sql<T = Record<string, unknown>>(
  service: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const pg = new Client({ connectionString: testDatabaseUrl(service) });
  await pg.connect();
  try {
    return (await pg.query(text, params)).rows as T[];
  } finally {
    await pg.end();
  }
}

export interface TestServiceOptions {
  service: string;
  messaging: Messaging;
  imports?: (Type | DynamicModule)[];
  extraEvents?: EventDefinition[];
  env?: Record<string, string>;
  maxMessageBytes?: number;
  testHooks?: { afterCommit?: (e: EventEnvelope) => Promise<void>; afterPublish?: (ids: string[]) => Promise<void> };
}

export interface TestService {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** Runs one service in-process exactly as main.ts does, against the test database and stream. */
export async function startTestService(o: TestServiceOptions): Promise<TestService> {
  // A free port below the kernel's ephemeral range: one from 32768-60999 can be taken by any
  // outgoing connection (Postgres, NATS) before the service binds it (EADDRINUSE).
  const port = await freePort();
  const config = validateEnv(BaseServiceEnv, {
    HTTP_PORT: String(port),
    DATABASE_URL: testDatabaseUrl(o.service),
    DATABASE_SCHEMA: serviceLayout(o.service).schema,
    NATS_URL,
    NATS_STREAM: o.messaging.stream,
    NATS_SUBJECT_PREFIX: o.messaging.prefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    AUTH_JWT_SECRET: devSecrets().jwtSecret,
    EVENT_RETRY_BASE_MS: '200',
    EVENT_RETRY_MAX_MS: '2000',
    EVENT_MAX_ATTEMPTS: '5',
    ...o.env,
  });
  @Module({})
  class TestRootModule {}
  const module: DynamicModule = {
    module: TestRootModule,
    imports: [
      ServiceKitModule.forRoot({
        service: o.service,
        config,
        extraEvents: o.extraEvents,
        maxMessageBytes: o.maxMessageBytes,
        testHooks: o.testHooks,
      }),
      ...(o.imports ?? []),
    ],
  };
  const app = await createServiceApp(module, config, { service: o.service });
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** A bearer token for the test services (signed with the local platform's secret). */
export function tokenFor(
  role: Role,
  extra: { subject?: string; sites?: string[]; permissions?: string[]; ttlSeconds?: number } = {},
): Promise<string> {
  return mintToken(devSecrets().jwtSecret, {
    subject: extra.subject ?? `test-${role}`,
    roles: [role],
    sites: extra.sites,
    permissions: extra.permissions,
    ttlSeconds: extra.ttlSeconds,
  });
}

export async function authHeaders(
  role: Role = 'admin',
  extra: { sites?: string[] } = {},
): Promise<Record<string, string>> {
  return { Authorization: `Bearer ${await tokenFor(role, extra)}` };
}

export async function natsConnect(): Promise<NatsConnection> {
  return connect({ servers: NATS_URL });
}

export function clientFor(nc: NatsConnection, messaging: Messaging): JetStreamClient {
  return new JetStreamClient(nc, messaging.prefix);
}

/** Polls until `probe` returns a truthy value or the deadline passes. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false | null>,
  timeoutMs = 20_000,
  stepMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
