import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@tpo/tools';
import { connect, NatsConnection } from 'nats';

/**
 * A private nats-server (JetStream, file store) on a spare port that the chaos suite may kill -9
 * and start again on the same port and store — never the machine's shared server.
 */
export class PrivateNats {
  private proc?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly storeDir: string,
  ) {}

  static async start(): Promise<PrivateNats> {
    const n = new PrivateNats(await freePort(), mkdtempSync(join(tmpdir(), 'tpo-chaos-js-')));
    await n.up();
    return n;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.proc = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const nc = await connect({ servers: this.url, reconnect: false, timeout: 1000 });
        await nc.jetstreamManager();
        await nc.close();
        return;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** kill -9 the server, keep it down for `downMs`, start it again on the same port and store. */
  async crash(downMs: number): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    }
    await new Promise((r) => setTimeout(r, downMs));
    await this.up();
  }

  connect(): Promise<NatsConnection> {
    return connect({ servers: this.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  }

  async stop(): Promise<void> {
    this.proc?.kill('SIGKILL');
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/**
 * A TCP proxy in front of PostgreSQL: `outage(ms)` drops every connection and refuses new ones for
 * a while — for the services it is a database that went away mid-transaction and came back (the
 * machine's PostgreSQL is shared, so the server itself is never stopped).
 */
export class PostgresProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<PostgresProxy> {
    const p = new PostgresProxy(await freePort(), target);
    await p.listen();
    return p;
  }

  private listen(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    return new Promise((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
  }

  async outage(ms: number): Promise<void> {
    // close() waits for open connections: stop listening, then drop them.
    const closed = new Promise<void>((r) => this.server!.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
    await new Promise((r) => setTimeout(r, ms));
    await this.listen();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}
