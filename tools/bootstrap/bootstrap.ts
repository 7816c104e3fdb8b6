import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EVENT_CATALOG } from '@tpo/contracts';
import { applyTopology, inboxPrefixOf, replicasFor, Topology } from '@tpo/messaging';
import { connect, ConnectionOptions } from 'nats';
import { Client } from 'pg';
import { databaseUrlOf, LocalLayout, loadLocalLayout, ROOT_DIR } from './local-layout';

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Database, one role + schema per service (each role can touch only its own schema), JetStream
 * stream and consumers, then every service's migrations run as its own role. Idempotent.
 */
export async function bootstrapDatabase(layout: LocalLayout): Promise<void> {
  const admin = new Client({ connectionString: layout.adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [layout.database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${ident(layout.database)}`);
    for (const s of layout.services) {
      const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [s.role]);
      const verb = role.rowCount === 0 ? 'CREATE' : 'ALTER';
      await admin.query(
        `${verb} ROLE ${ident(s.role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${literal(s.password)}`,
      );
    }
    await admin.query(`REVOKE ALL ON DATABASE ${ident(layout.database)} FROM PUBLIC`);
  } finally {
    await admin.end();
  }
  const db = new Client({ connectionString: layout.adminUrl.replace(/\/[^/?]*(\?|$)/, `/${layout.database}$1`) });
  await db.connect();
  try {
    await db.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    for (const s of layout.services) {
      await db.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(layout.database)} TO ${ident(s.role)}`);
      await db.query(`CREATE SCHEMA IF NOT EXISTS ${ident(s.schema)} AUTHORIZATION ${ident(s.role)}`);
      await db.query(`ALTER SCHEMA ${ident(s.schema)} OWNER TO ${ident(s.role)}`);
      await db.query(`REVOKE ALL ON SCHEMA ${ident(s.schema)} FROM PUBLIC`);
      await db.query(
        `ALTER ROLE ${ident(s.role)} IN DATABASE ${ident(layout.database)} SET search_path = ${ident(s.schema)}`,
      );
    }
  } finally {
    await db.end();
  }
}

export function loadTopology(): Topology {
  return JSON.parse(readFileSync(resolve(ROOT_DIR, 'deploy', 'nats', 'topology.json'), 'utf8')) as Topology;
}

export async function bootstrapNats(
  layout: LocalLayout,
  target: { prefix: string; streamName?: string },
): Promise<void> {
  const nc = await connect(adminNatsOptions(layout.natsUrl));
  try {
    const jsm = await nc.jetstreamManager().catch((e: Error) => {
      throw new Error(`JetStream is not enabled on ${layout.natsUrl} (start nats-server with -js): ${e.message}`);
    });
    const replicas = replicasFor(process.env.TPO_JS_REPLICAS, nc.info?.cluster);
    const applied = await applyTopology(jsm, loadTopology(), {
      ...target,
      replicas,
      eventKeys: EVENT_CATALOG.map((d) => d.key),
    });
    process.stdout.write(`[bootstrap] stream ${applied.stream}: ${applied.consumers.length} consumers, R${replicas}\n`);
  } finally {
    await nc.close();
  }
}

export async function migrateAll(layout: LocalLayout): Promise<void> {
  for (const s of layout.services) {
    await new Promise<void>((res, rej) => {
      const child = spawn(
        process.execPath,
        [
          '-r',
          resolve(ROOT_DIR, 'tools', 'register-paths.js'),
          resolve(ROOT_DIR, 'dist', 'apps', s.name, 'src', 'migrate.js'),
        ],
        {
          // Only what migrations need: no service secrets (a migration Job has none, nor a writable disk)
          env: { ...process.env, DATABASE_URL: databaseUrlOf(layout, s), DATABASE_SCHEMA: s.schema },
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      );
      child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`${s.name} migrations exited with ${code}`))));
    });
  }
}

/** Drops the platform database and stream (the local platform's simulator state is in memory too). */
export async function resetLocalState(layout: LocalLayout, streamName = 'TPO_EVENTS'): Promise<void> {
  const admin = new Client({ connectionString: layout.adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${ident(layout.database)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const nc = await connect(adminNatsOptions(layout.natsUrl));
  try {
    await (await nc.jetstreamManager()).streams.delete(streamName).catch(() => undefined);
  } finally {
    await nc.close();
  }
  process.stdout.write(`[bootstrap] fresh start: database ${layout.database} and stream ${streamName} dropped\n`);
}

async function main(): Promise<void> {
  const layout = loadLocalLayout();
  if (process.argv.includes('--fresh')) await resetLocalState(layout, process.env.NATS_STREAM ?? 'TPO_EVENTS');
  await bootstrapDatabase(layout);
  process.stdout.write(`[bootstrap] database ${layout.database}: ${layout.services.length} schemas and roles\n`);
  await bootstrapNats(layout, {
    prefix: process.env.NATS_SUBJECT_PREFIX ?? 'tpo',
    streamName: process.env.NATS_STREAM,
  });
  await migrateAll(layout);
  process.stdout.write('[bootstrap] done\n');
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`[bootstrap] failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}

/** The ops-admin connection: its own inbox prefix when it authenticates (the secure config allows only that). */
function adminNatsOptions(natsUrl: string): ConnectionOptions {
  const user = process.env.TPO_NATS_ADMIN_USER;
  return {
    servers: natsUrl.split(','),
    user,
    pass: process.env.TPO_NATS_ADMIN_PASSWORD,
    ...(user ? { inboxPrefix: inboxPrefixOf(user) } : {}),
  };
}
