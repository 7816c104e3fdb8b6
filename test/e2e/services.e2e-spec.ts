import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { EVENT_CATALOG } from '@tpo/contracts';
import { applyTopology } from '@tpo/messaging';
import { NatsConnection } from 'nats';
import { loadTopology, ROOT_DIR, serviceEnv } from '@tpo/tools';
import { authHeaders, deleteStream, eventually, NATS_URL, natsConnect, resetSchema, sql } from '../support/harness';
import { isolatedMessaging, testLayout } from '../support/test-env';

interface Proc {
  name: string;
  port: number;
  child: ChildProcess;
  output: string[];
  exit: Promise<number | null>;
}

function spawnService(name: string, env: Record<string, string>): Proc {
  const child = spawn(
    process.execPath,
    ['-r', resolve(ROOT_DIR, 'tools/register-paths.js'), resolve(ROOT_DIR, `dist/apps/${name}/src/main.js`)],
    {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { name, port: Number(env.HTTP_PORT ?? 0), child, output, exit };
}

describe('service processes (compiled, as deployed)', () => {
  const layout = testLayout();
  const tenant = layout.services.find((s) => s.name === 'tenant-service')!;

  it('booting with a missing env var exits non-zero and names the variable', async () => {
    const env = serviceEnv(layout, tenant);
    delete (env as Record<string, string>).DATABASE_URL;
    const p = spawnService('tenant-service', env);
    expect(await p.exit).toBe(78);
    expect(p.output.join('')).toMatch(/DATABASE_URL is missing/);
  });

  it('booting with an invalid env var exits non-zero and names the variable', async () => {
    const p = spawnService('tenant-service', {
      ...serviceEnv(layout, tenant),
      HTTP_PORT: 'eighty',
      NATS_URL: 'http://nats',
    });
    expect(await p.exit).toBe(78);
    const out = p.output.join('');
    expect(out).toMatch(/HTTP_PORT is invalid/);
    expect(out).toMatch(/NATS_URL is invalid/);
  });

  describe('all five services', () => {
    const messaging = isolatedMessaging();
    let nc: NatsConnection;
    const procs: Proc[] = [];

    beforeAll(async () => {
      nc = await natsConnect();
      for (const s of layout.services) await resetSchema(s.name);
      await applyTopology(await nc.jetstreamManager(), loadTopology(), {
        prefix: messaging.prefix,
        streamName: messaging.stream,
        eventKeys: EVENT_CATALOG.map((d) => d.key),
      });
      layout.services.forEach((s, i) => {
        procs.push(
          spawnService(
            s.name,
            serviceEnv(
              layout,
              { ...s, port: 3700 + i },
              { NATS_URL, NATS_STREAM: messaging.stream, NATS_SUBJECT_PREFIX: messaging.prefix, LOG_LEVEL: 'info' },
            ),
          ),
        );
      });
      await Promise.all(
        procs.map((p) =>
          eventually(async () => (await fetch(`http://127.0.0.1:${p.port}/health/ready`)).ok, 30_000, 200),
        ),
      );
    }, 60_000);

    afterAll(async () => {
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await deleteStream(nc, messaging);
      await nc?.close();
    });

    it('a placeholder event flows through every service via outbox -> JetStream -> inbox, carrying the correlation id', async () => {
      const correlationId = `e2e-${Date.now()}`;
      const res = await fetch(`http://127.0.0.1:${procs[0].port}/v1/backbone/pings`, {
        method: 'POST',
        headers: {
          ...(await authHeaders('operator')),
          'content-type': 'application/json',
          'x-correlation-id': correlationId,
        },
        body: JSON.stringify({ note: 'e2e' }),
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('x-correlation-id')).toBe(correlationId);
      const { pingId, route } = (await res.json()) as { pingId: string; route: string[] };
      for (const [hop, name] of route.entries()) {
        const p = procs.find((x) => x.name === name)!;
        await eventually(async () => {
          const body = (await (
            await fetch(`http://127.0.0.1:${p.port}/v1/backbone/pings/${pingId}`, {
              headers: await authHeaders('viewer'),
            })
          ).json()) as { hops: { hop: number }[] };
          return body.hops.some((h) => h.hop === hop);
        });
      }
      // Every hop's emitted event kept the correlation id; each one's causation is the event before it.
      for (const s of layout.services) {
        const rows = await sql<{ c: string }>(
          s.name,
          `SELECT envelope->>'correlationid' AS c FROM outbox WHERE envelope->'data'->>'pingId' = $1`,
          [pingId],
        );
        for (const r of rows) expect(r.c).toBe(correlationId);
      }
      const logs = procs.flatMap((p) => p.output.join('').split('\n')).filter((l) => l.includes(correlationId));
      expect(logs.length).toBeGreaterThan(0);
      for (const line of logs) expect(JSON.parse(line).correlationId).toBe(correlationId);
    });

    it('rejects bad REST input with 400 and field paths', async () => {
      const res = await fetch(`http://127.0.0.1:${procs[0].port}/v1/backbone/pings`, {
        method: 'POST',
        headers: { ...(await authHeaders('operator')), 'content-type': 'application/json' },
        body: JSON.stringify({ route: ['nobody'], extra: 1 }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { details: { fields: string[] } } };
      expect(body.error.details.fields.join(' ')).toMatch(/route/);
      expect(body.error.details.fields.join(' ')).toMatch(/extra/);
    });

    it('stops gracefully on SIGTERM (exit 0)', async () => {
      for (const p of procs) p.child.kill('SIGTERM');
      const codes = await Promise.all(procs.map((p) => p.exit));
      expect(codes).toEqual([0, 0, 0, 0, 0]);
    });
  });
});
