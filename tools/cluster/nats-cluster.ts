import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { freePort } from '../platform/processes';

interface Node {
  name: string;
  clientPort: number;
  routePort: number;
  storeDir: string;
  process?: ChildProcess;
  exited?: Promise<void>;
}

/**
 * Three (or more) nats-server processes forming one JetStream cluster on spare local ports, each
 * with its own file store, so a node can be SIGKILLed and brought back with its data as a real
 * node loss and recovery would. Needs the `nats-server` binary (2.9+) on PATH.
 */
export class LocalNatsCluster {
  private constructor(
    private readonly nodes: Node[],
    private readonly clusterName: string,
    private readonly logDir: string,
  ) {}

  static async start(size: number, baseDir: string, clusterName = 'tpo-local'): Promise<LocalNatsCluster> {
    const found = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
    if (found.error || found.status !== 0)
      throw new Error(
        'nats-server is not on PATH (Debian: apt-get install nats-server; deploy/scripts/infra-up.sh installs it as root)',
      );
    const nodes: Node[] = [];
    for (let i = 1; i <= size; i++) {
      const storeDir = join(baseDir, `n${i}`);
      mkdirSync(storeDir, { recursive: true });
      nodes.push({ name: `n${i}`, clientPort: await freePort(), routePort: await freePort(), storeDir });
    }
    const cluster = new LocalNatsCluster(nodes, clusterName, baseDir);
    for (const n of nodes) cluster.spawnNode(n);
    await cluster.waitJetStreamReady();
    return cluster;
  }

  /** Every node's client URL, comma-separated (what the services get as NATS_URL). */
  get url(): string {
    return this.nodes.map((n) => `nats://127.0.0.1:${n.clientPort}`).join(',');
  }

  get names(): string[] {
    return this.nodes.map((n) => n.name);
  }

  isRunning(name: string): boolean {
    const p = this.node(name).process;
    return Boolean(p && p.exitCode === null && p.signalCode === null);
  }

  /** kill -9: no shutdown, no flush beyond what the server already synced. */
  async kill(name: string): Promise<void> {
    const n = this.node(name);
    if (!this.isRunning(name)) return;
    n.process!.kill('SIGKILL');
    await n.exited;
  }

  async restart(name: string): Promise<void> {
    const n = this.node(name);
    if (this.isRunning(name)) return;
    this.spawnNode(n);
    await waitPort(n.clientPort, 20_000);
  }

  /** The server name of the stream's current Raft leader, or undefined during an election. */
  async streamLeader(stream: string): Promise<string | undefined> {
    return this.withConnection(async (nc) => {
      const info = await (await nc.jetstreamManager()).streams.info(stream);
      return info.cluster?.leader;
    }).catch(() => undefined);
  }

  /** Waits until the stream has a leader and all its replicas are current. */
  async waitStreamHealthy(stream: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const ok = await this.withConnection(async (nc) => {
        const info = await (await nc.jetstreamManager()).streams.info(stream);
        return Boolean(info.cluster?.leader) && (info.cluster?.replicas ?? []).every((r) => r.current && !r.offline);
      }).catch(() => false);
      if (ok) return;
      await sleep(250);
    }
    throw new Error(`stream ${stream} not healthy after ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) if (this.isRunning(n.name)) n.process!.kill('SIGTERM');
    await Promise.race([Promise.all(this.nodes.map((n) => n.exited)), sleep(10_000)]);
    for (const n of this.nodes) if (this.isRunning(n.name)) n.process!.kill('SIGKILL');
  }

  async withConnection<T>(work: (nc: NatsConnection) => Promise<T>): Promise<T> {
    const nc = await connect({ servers: this.url.split(','), timeout: 2000, maxReconnectAttempts: 2 });
    try {
      return await work(nc);
    } finally {
      await nc.close().catch(() => undefined);
    }
  }

  private node(name: string): Node {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no NATS node ${name}`);
    return n;
  }

  private spawnNode(n: Node): void {
    const routes = this.nodes
      .filter((o) => o !== n)
      .map((o) => `nats://127.0.0.1:${o.routePort}`)
      .join(',');
    const child = spawn(
      'nats-server',
      [
        '-a',
        '127.0.0.1',
        '-p',
        String(n.clientPort),
        '-n',
        n.name,
        '-js',
        '-sd',
        n.storeDir,
        '--cluster_name',
        this.clusterName,
        '--cluster',
        `nats://127.0.0.1:${n.routePort}`,
        '--routes',
        routes,
        '-l',
        join(this.logDir, `${n.name}.log`),
      ],
      { stdio: 'ignore' },
    );
    n.process = child;
    n.exited = new Promise((r) => child.once('exit', () => r()));
    child.once('error', (e) => process.stderr.write(`[nats ${n.name}] ${e.message}\n`));
  }

  private async waitJetStreamReady(): Promise<void> {
    for (const n of this.nodes) await waitPort(n.clientPort, 20_000);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      // The meta leader is elected once the routes are up; account info answers only then.
      const ok = await this.withConnection(async (nc) =>
        Boolean(await (await nc.jetstreamManager()).getAccountInfo()),
      ).catch(() => false);
      if (ok) return;
      await sleep(300);
    }
    throw new Error('JetStream cluster did not elect a meta leader within 60 s');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((r) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
}
