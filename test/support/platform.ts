import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_CATALOG, EventEnvelope } from '@tpo/contracts';
import { applyTopology } from '@tpo/messaging';
import { loadTopology, LocalLayout, LocalPlatform, startLocalPlatform } from '@tpo/tools';
import { NatsConnection } from 'nats';
import { Client } from 'pg';
import { isolatedMessaging, testDatabaseUrl, testLayout } from './test-env';

export interface TestPlatform extends LocalPlatform {
  messaging: { prefix: string; stream: string };
  /** Every message of the platform's stream, decoded. */
  streamMessages(): Promise<{ subject: string; raw: string; envelope?: EventEnvelope }[]>;
  logs(): string;
}

/** Truncates every table but `migrations` in every service schema of the test database. */
export async function resetAllSchemas(): Promise<void> {
  for (const s of testLayout().services) {
    const pg = new Client({ connectionString: testDatabaseUrl(s.name) });
    await pg.connect();
    try {
      const rows = (
        await pg.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'migrations'`, [
          s.schema,
        ])
      ).rows as { tablename: string }[];
      if (rows.length) await pg.query(`TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(', ')} CASCADE`);
    } finally {
      await pg.end();
    }
  }
}

/** The whole platform as processes (simulator + five services) against the test database and an isolated stream. */
export async function startTestPlatform(
  nc: NatsConnection,
  options: {
    sites?: number;
    portBase: number;
    consolePort?: number;
    simulatorConfig?: string;
    maxVirtualServers?: number;
    license?: { maxVms?: number };
    extraEnv?: Record<string, string>;
    /** e.g. a private NATS server or a Postgres proxy for fault injection (chaos suite). */
    layout?: Partial<LocalLayout>;
  },
): Promise<TestPlatform> {
  const messaging = isolatedMessaging();
  await resetAllSchemas();
  await applyTopology(await nc.jetstreamManager(), loadTopology(), {
    prefix: messaging.prefix,
    streamName: messaging.stream,
    eventKeys: EVENT_CATALOG.map((d) => d.key),
  });
  const layout = { ...testLayout(), ...options.layout };
  const ports = Object.fromEntries(layout.services.map((s, i) => [s.name, options.portBase + i]));
  const platform = await startLocalPlatform({
    layout,
    stateDir: mkdtempSync(join(tmpdir(), 'tpo-platform-')),
    sites: options.sites ?? 1,
    simulatorConfig: options.simulatorConfig,
    simulatorPorts: {
      integrationServer: options.portBase + 20,
      ksc: options.portBase + 40,
      admin: options.portBase + 60,
    },
    ports,
    consolePort: options.consolePort,
    maxVirtualServers: options.maxVirtualServers,
    license: options.license,
    echo: process.env.TPO_TEST_ECHO === '1', // the processes' output on the console, for debugging a failed start
    extraEnv: {
      NATS_STREAM: messaging.stream,
      NATS_SUBJECT_PREFIX: messaging.prefix,
      LOG_LEVEL: 'debug',
      EVENT_RETRY_BASE_MS: '200',
      JOB_RETRY_BASE_MS: '200',
      JOB_RETRY_MAX_MS: '2000',
      // A crashed worker's job is taken over once its lease expires: short in tests.
      JOB_LEASE_MS: '5000',
      ...options.extraEnv,
    },
  });
  return {
    ...platform,
    messaging,
    logs: () => platform.processes.map((p) => p.output.join('')).join('\n'),
    streamMessages: async () => {
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info(messaging.stream);
      const out: { subject: string; raw: string; envelope?: EventEnvelope }[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(messaging.stream, { seq }).catch(() => undefined);
        if (!m) continue;
        const raw = Buffer.from(m.data).toString('utf8');
        let envelope: EventEnvelope | undefined;
        try {
          envelope = JSON.parse(raw) as EventEnvelope;
        } catch {
          envelope = undefined;
        }
        out.push({ subject: m.subject, raw, envelope });
      }
      return out;
    },
  };
}

/** Every text value in every table of every service schema (for secret scans). */
export async function dumpAllTables(): Promise<string> {
  const chunks: string[] = [];
  for (const s of testLayout().services) {
    const pg = new Client({ connectionString: testDatabaseUrl(s.name) });
    await pg.connect();
    try {
      const tables = (await pg.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1`, [s.schema])).rows as {
        tablename: string;
      }[];
      for (const t of tables) {
        const rows = (await pg.query(`SELECT row_to_json(x)::text AS j FROM "${t.tablename}" x`)).rows as {
          j: string;
        }[];
        for (const r of rows) chunks.push(r.j);
      }
    } finally {
      await pg.end();
    }
  }
  return chunks.join('\n');
}
