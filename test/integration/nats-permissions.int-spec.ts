import { ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AgentsInstalled,
  consumerNameOf,
  EventEnvelope,
  SERVICE_NAMES,
  subjectOf,
  TenantCreated,
  TenantRequested,
  TenantRequestedV1,
  VmsRegistered,
} from '@tpo/contracts';
import { EventPublisher, inboxPrefixOf, JetStreamClient } from '@tpo/messaging';
import { BackbonePingModule } from '@tpo/diagnostics';
import { loadTopology } from '@tpo/tools';
import { SiteDirectoryModule } from '@tpo/site-directory';
import { connect, Empty, ErrorCode, JetStreamManager, NatsConnection, NatsError, StringCodec } from 'nats';
import request from 'supertest';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the service's feature module, run in-process like main.ts does
import { RegistrationModule } from '../../apps/registration-service/src/registration/registration.module';
import { natsUsersOf, renderSecureConfig } from '@tpo/tools';
import { applyTestTopology, eventually, resetSchema, startTestService, TestService } from '../support/harness';
import { isolatedMessaging } from '../support/test-env';

/**
 * Reliability/security reference C.2 (N1-N4): a real nats-server started with the rendered
 * least-privilege config (deploy/nats/nats-server.secure.conf, here for this file's own prefix and
 * stream), the topology applied as ops-admin, then every role checked against the broker itself.
 */

const NATS_SERVER_BIN =
  process.env.TPO_NATS_SERVER_BIN ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');
const SERVICE = 'registration-service';
const sc = StringCodec();

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** Starts nats-server and resolves once it is ready for clients (or rejects with its log). */
async function startNatsServer(
  configFile: string,
  env: Record<string, string>,
): Promise<{ proc: ChildProcess; log: () => string }> {
  const proc = spawn(NATS_SERVER_BIN, ['-c', configFile], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (b: Buffer) => (output += b.toString());
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error(`nats-server not ready within 15 s:\n${output}`));
    }, 15_000);
    const check = () => {
      if (output.includes('Server is ready')) {
        clearTimeout(timer);
        res();
      }
    };
    proc.stdout?.on('data', check);
    proc.stderr?.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`nats-server exited with ${code}:\n${output}`));
    });
  });
  return { proc, log: () => output };
}

async function stopProcess(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface PermissionViolation {
  operation: string;
  subject: string;
}

/** Permission errors the server reported on this connection (`-ERR 'Permissions Violation ...'`). */
function watchViolations(nc: NatsConnection): PermissionViolation[] {
  const seen: PermissionViolation[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.permissionContext) seen.push(s.permissionContext);
  })();
  return seen;
}

const isPermissionError = (e: unknown) => e instanceof NatsError && e.code === ErrorCode.PermissionsViolation;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the operation to be refused, but it succeeded');
}

function envelope<T>(type: string, data: T, source: string): EventEnvelope<T> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    type,
    source,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    correlationid: randomUUID(),
    data,
  };
}

function order(): TenantRequestedV1 {
  const id = randomUUID().slice(0, 6);
  return {
    orderId: `order-${id}`,
    tenantName: `Tenant ${id}`,
    adminAccountName: `adm-${id}`,
    vms: [{ biosUuid: randomUUID(), name: `nats-${id}-vm1`, osFamily: 'linux', address: '10.9.0.10' }],
  } as TenantRequestedV1;
}

describe('NATS least-privilege users (nats-server with the rendered secure config; reference C.2)', () => {
  const messaging = isolatedMessaging();
  const { prefix, stream } = messaging;
  const users = natsUsersOf(messaging);
  const passwords = Object.fromEntries(users.map((u) => [u.user, `p${randomBytes(18).toString('hex')}`]));
  const connections: NatsConnection[] = [];
  let dir: string;
  let url: string;
  let server: { proc: ChildProcess; log: () => string } | undefined;
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  let svc: TestService | undefined;

  const as = async (user: string): Promise<NatsConnection> => {
    const nc = await connect({
      servers: url,
      user,
      pass: passwords[user],
      name: `perm-test-${user}`,
      reconnect: false,
      timeout: 5000,
      inboxPrefix: inboxPrefixOf(user),
    });
    connections.push(nc);
    return nc;
  };
  const streamMessages = async () => (await jsm.streams.info(stream)).state.messages;
  const subject = (d: { key: string }) => subjectOf(d, prefix);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tpo-nats-perm-'));
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    const configFile = join(dir, 'nats-server.conf');
    writeFileSync(
      configFile,
      renderSecureConfig({ prefix, stream, host: '127.0.0.1', port, storeDir: join(dir, 'jetstream') }),
    );
    server = await startNatsServer(
      configFile,
      Object.fromEntries(users.map((u) => [u.passwordVariable, passwords[u.user]])),
    );
    admin = await as('ops-admin');
    jsm = await admin.jetstreamManager();
    // The real topology (every service's consumers), applied the way the bootstrap does, as ops-admin.
    await applyTestTopology(admin, messaging, loadTopology().consumers);
  });

  afterAll(async () => {
    await svc?.close();
    await Promise.allSettled(connections.filter((c) => !c.isClosed()).map((c) => c.close()));
    if (process.env.DUMP_NATS_LOG) process.stderr.write(server?.log() ?? ''); // the server's view of every violation
    await stopProcess(server?.proc);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('N1: authentication', () => {
    it('N1: a connection without credentials is rejected', async () => {
      const err = await rejection(connect({ servers: url, reconnect: false, timeout: 5000 }));
      expect(err).toMatchObject({ code: ErrorCode.AuthorizationViolation });
    });

    it('N1: a connection with a wrong password (or an unknown user) is rejected', async () => {
      const wrong = await rejection(
        connect({ servers: url, user: SERVICE, pass: `${passwords[SERVICE]}x`, reconnect: false, timeout: 5000 }),
      );
      expect(wrong).toMatchObject({ code: ErrorCode.AuthorizationViolation });
      const unknown = await rejection(
        connect({ servers: url, user: 'intruder', pass: passwords[SERVICE], reconnect: false, timeout: 5000 }),
      );
      expect(unknown).toMatchObject({ code: ErrorCode.AuthorizationViolation });
    });

    it('the server listens on 127.0.0.1 only', () => {
      expect(server?.log()).toContain(`Listening for client connections on 127.0.0.1:${new URL(url).port}`);
    });

    it('every configured user connects with its own password', async () => {
      for (const u of users) expect((await as(u.user)).isClosed()).toBe(false);
    });
  });

  describe('N2: dashboard is read-only', () => {
    it('N2: dashboard publishing to an event subject gets a permissions violation and nothing is stored', async () => {
      const before = await streamMessages();
      const dash = await as('dashboard');
      const violations = watchViolations(dash);
      const target = subject(TenantCreated);
      dash.publish(target, sc.encode(JSON.stringify(envelope(TenantCreated.type, {}, 'dashboard'))));
      await dash.flush();
      await eventually(async () => violations.some((v) => v.operation === 'publish' && v.subject === target), 5000);
      expect(await streamMessages()).toBe(before);
      expect(dash.isClosed()).toBe(false);
    });

    it('N2: dashboard has no JetStream API (not even stream info)', async () => {
      const dash = await as('dashboard');
      expect(
        isPermissionError(await rejection(dash.request(`$JS.API.STREAM.INFO.${stream}`, Empty, { timeout: 3000 }))),
      ).toBe(true);
      expect(
        isPermissionError(await rejection(dash.request(`$JS.API.STREAM.DELETE.${stream}`, Empty, { timeout: 3000 }))),
      ).toBe(true);
    });

    it('dashboard can read the live events', async () => {
      const dash = await as('dashboard');
      const sub = dash.subscribe(`${prefix}.evt.>`, { max: 1 });
      await dash.flush();
      const publisher = new EventPublisher(await as(SERVICE));
      const e = envelope(VmsRegistered.type, { note: 'dashboard-read' }, SERVICE);
      await publisher.publish(subject(VmsRegistered), e.id, JSON.stringify(e));
      for await (const m of sub) {
        expect(m.subject).toBe(subject(VmsRegistered));
        expect(JSON.parse(sc.decode(m.data)).id).toBe(e.id);
      }
      expect(sub.getReceived()).toBe(1);
    });
  });

  describe('N3: order-ingest writes orders only', () => {
    it('N3: order-ingest subscribing to the event subjects gets a permissions violation', async () => {
      const oi = await as('order-ingest');
      const violations = watchViolations(oi);
      const sub = oi.subscribe(`${prefix}.evt.>`);
      const drained = (async () => {
        for await (const m of sub) throw new Error(`order-ingest received ${m.subject}`);
      })();
      const err = await rejection(drained);
      expect(isPermissionError(err)).toBe(true);
      await eventually(
        async () => violations.some((v) => v.operation === 'subscription' && v.subject === `${prefix}.evt.>`),
        5000,
      );
      expect(sub.isClosed()).toBe(true);
    });

    it("issue 9: order-ingest cannot read a service's pull replies (no shared _INBOX.>, not the service's inbox prefix)", async () => {
      const oi = await as('order-ingest');
      const violations = watchViolations(oi);
      const spies = [oi.subscribe('_INBOX.>'), oi.subscribe(`${inboxPrefixOf(SERVICE)}.>`)];
      const seen: string[] = [];
      const drained = spies.map((sub) =>
        (async () => {
          for await (const m of sub) seen.push(m.subject);
        })().catch((e: unknown) => e),
      );
      await oi.flush().catch(() => undefined);
      // The service pulls a message: its reply (the pulled message) must reach the service only.
      const installed = envelope(AgentsInstalled.type, { note: 'inbox-isolation' }, 'agent-install-service');
      await new EventPublisher(await as('agent-install-service')).publish(
        subject(AgentsInstalled),
        installed.id,
        JSON.stringify(installed),
      );
      const consumer = await (
        await as(SERVICE)
      )
        .jetstream()
        .consumers.get(stream, consumerNameOf(SERVICE, AgentsInstalled));
      const received: string[] = [];
      for await (const m of await consumer.fetch({ max_messages: 1, expires: 5000 })) {
        received.push(JSON.parse(sc.decode(m.data)).id);
        m.ack();
      }
      expect(received).toEqual([installed.id]);
      for (const e of await Promise.all(drained)) expect(isPermissionError(e)).toBe(true);
      expect(seen).toEqual([]);
      await eventually(async () => violations.filter((v) => v.operation === 'subscription').length >= 2, 5000);
    });

    it('order-ingest publishes a TenantRequested and gets a JetStream ack', async () => {
      const before = await streamMessages();
      const ack = await new JetStreamClient(await as('order-ingest'), prefix).publishEvent(
        TenantRequested,
        envelope(TenantRequested.type, order(), 'order-system'),
      );
      expect(ack.seq).toBeGreaterThan(0);
      expect(ack.duplicate).toBe(false);
      expect(await streamMessages()).toBe(before + 1);
    });

    it('order-ingest cannot publish any other event', async () => {
      const before = await streamMessages();
      const publisher = new EventPublisher(await as('order-ingest'), 3000);
      const e = envelope(TenantCreated.type, {}, 'order-system');
      expect(
        isPermissionError(await rejection(publisher.publish(subject(TenantCreated), e.id, JSON.stringify(e)))),
      ).toBe(true);
      expect(await streamMessages()).toBe(before);
    });
  });

  describe('N4: no application user administers JetStream', () => {
    it.each([...SERVICE_NAMES, 'order-ingest', 'dashboard'])(
      'N4: %s calling $JS.API.STREAM.DELETE.<stream> is denied and the stream survives',
      async (user) => {
        const nc = await as(user);
        const err = await rejection(nc.request(`$JS.API.STREAM.DELETE.${stream}`, Empty, { timeout: 3000 }));
        expect(isPermissionError(err)).toBe(true);
        expect((await jsm.streams.info(stream)).config.name).toBe(stream);
      },
    );

    it('N4: a service cannot delete, purge or recreate through the JetStream manager either', async () => {
      const nc = await as(SERVICE);
      const own = consumerNameOf(SERVICE, AgentsInstalled);
      const svcJsm = await nc.jetstreamManager(); // $JS.API.INFO is allowed
      expect(isPermissionError(await rejection(svcJsm.streams.delete(stream)))).toBe(true);
      expect(isPermissionError(await rejection(svcJsm.streams.purge(stream)))).toBe(true);
      expect(isPermissionError(await rejection(svcJsm.streams.info(stream)))).toBe(true);
      expect(isPermissionError(await rejection(svcJsm.consumers.delete(stream, own)))).toBe(true);
      expect(
        isPermissionError(
          await rejection(
            svcJsm.consumers.add(stream, { durable_name: `${SERVICE}--rogue`, filter_subject: subject(TenantCreated) }),
          ),
        ),
      ).toBe(true);
      expect((await jsm.consumers.info(stream, own)).name).toBe(own);
      expect((await jsm.streams.info(stream)).config.name).toBe(stream);
    });

    it('ops-admin is the user that may delete a stream', async () => {
      const scratch = `${stream}_SCRATCH`;
      await jsm.streams.add({ name: scratch, subjects: [`${prefix}.scratch`] });
      expect(await jsm.streams.delete(scratch)).toBe(true);
    });
  });

  describe('services: own events and own consumers only', () => {
    it("registration-service publishes its own event (ack) but not another service's event", async () => {
      const publisher = new EventPublisher(await as(SERVICE), 3000);
      const mine = envelope(VmsRegistered.type, { note: 'own' }, SERVICE);
      const ack = await publisher.publish(subject(VmsRegistered), mine.id, JSON.stringify(mine));
      expect(ack.seq).toBeGreaterThan(0);
      const before = await streamMessages();
      const theirs = envelope(TenantCreated.type, {}, SERVICE);
      expect(
        isPermissionError(
          await rejection(publisher.publish(subject(TenantCreated), theirs.id, JSON.stringify(theirs))),
        ),
      ).toBe(true);
      expect(await streamMessages()).toBe(before);
    });

    it('registration-service pulls and acks from its own consumer', async () => {
      const installed = envelope(AgentsInstalled.type, { note: 'to-register' }, 'agent-install-service');
      const published = await new EventPublisher(await as('agent-install-service')).publish(
        subject(AgentsInstalled),
        installed.id,
        JSON.stringify(installed),
      );
      const name = consumerNameOf(SERVICE, AgentsInstalled);
      const consumer = await (await as(SERVICE)).jetstream().consumers.get(stream, name);
      const batch = await consumer.fetch({ max_messages: 1, expires: 5000 });
      const received: string[] = [];
      for await (const m of batch) {
        received.push(JSON.parse(sc.decode(m.data)).id);
        expect(m.seq).toBe(published.seq);
        expect(await m.ackAck()).toBe(true);
      }
      expect(received).toEqual([installed.id]);
      const info = await jsm.consumers.info(stream, name);
      expect(info.num_ack_pending).toBe(0);
      expect(info.num_pending).toBe(0);
      expect(info.ack_floor.stream_seq).toBe(published.seq);
    });

    it("registration-service cannot pull from (or ack for) another service's consumer", async () => {
      const nc = await as(SERVICE);
      const violations = watchViolations(nc);
      const foreign = consumerNameOf('tenant-service', VmsRegistered);
      const before = await jsm.consumers.info(stream, foreign);
      expect(before.num_pending).toBeGreaterThan(0);
      expect(isPermissionError(await rejection(nc.jetstream().consumers.get(stream, foreign)))).toBe(true);
      const next = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${foreign}`;
      nc.publish(next, sc.encode(JSON.stringify({ batch: 1, expires: 1_000_000_000 })), {
        reply: `${inboxPrefixOf(SERVICE)}.${randomUUID()}`,
      });
      nc.publish(`$JS.ACK.${stream}.${foreign}.1.1.1.1.0`, Empty);
      await nc.flush();
      await eventually(
        async () =>
          violations.some((v) => v.subject === next) &&
          violations.some((v) => v.subject.startsWith(`$JS.ACK.${stream}.${foreign}.`)),
        5000,
      );
      const after = await jsm.consumers.info(stream, foreign);
      expect(after.delivered.stream_seq).toBe(before.delivered.stream_seq);
      expect(after.num_pending).toBe(before.num_pending);
      expect(after.num_waiting).toBe(0);
    });

    it('the real registration-service process is ready under its restricted user and its outbox and consumers work', async () => {
      const apiKey = randomBytes(24).toString('hex');
      await resetSchema(SERVICE, [
        'outbox',
        'inbox',
        'dead_letter',
        'backbone_ping_hop',
        'job',
        'step_vm',
        'step_work',
      ]);
      svc = await startTestService({
        service: SERVICE,
        messaging,
        imports: [SiteDirectoryModule.forStatic([]), BackbonePingModule.forService(SERVICE), RegistrationModule],
        // Admin HTTP credentials (an operator API key) only to start the ping; NATS credentials are the point.
        env: {
          NATS_URL: url,
          NATS_USER: SERVICE,
          NATS_PASSWORD: passwords[SERVICE],
          AUTH_API_KEYS: `nats-perm-test:operator:${createHash('sha256').update(apiKey).digest('hex')}`,
        },
      });
      const ready = await request(svc.url).get('/health/ready');
      expect({ status: ready.status, body: ready.body }).toMatchObject({ status: 200 });
      // A backbone ping addressed to itself: outbox relay publishes (own event), its consumer pulls and acks.
      const started = await request(svc.url)
        .post('/v1/backbone/pings')
        .set('X-API-Key', apiKey)
        .send({ route: [SERVICE], note: 'nats-permissions' });
      expect(started.status).toBeLessThan(300);
      const pingId = (started.body as { pingId: string }).pingId;
      const hops = await eventually(async () => {
        const r = await request(svc!.url).get(`/v1/backbone/pings/${pingId}`).set('X-API-Key', apiKey);
        const list = (r.body as { hops: { hop: number }[] }).hops;
        return list.some((h) => h.hop === 0) ? list : undefined;
      }, 20_000);
      expect(hops.map((h) => h.hop).sort()).toEqual([-1, 0]);
      await eventually(
        async () =>
          (await jsm.consumers.info(stream, consumerNameOf(SERVICE, { key: 'backbone-ping.v1' }))).num_ack_pending ===
          0,
        10_000,
      );
      // The service process (client name "registration-service") and the bootstrap (ops-admin) never hit a violation.
      expect(server?.log()).not.toMatch(/nats\.js:registration-service" - \w+ Violation/);
      expect(server?.log()).not.toMatch(/perm-test-ops-admin" - \w+ Violation/);
    });
  });
});
