import { readFileSync } from 'node:fs';
import { LocalLayout } from '../bootstrap/local-layout';
import { LocalPlatform, startLocalPlatform } from '../platform/local-platform';
import { freePort, ManagedProcess, SERVICE_NODE_FLAGS, startNodeProcess, waitHttpOk } from '../platform/processes';
import { RoundRobinProxy } from './round-robin-proxy';

export interface Replica {
  service: string;
  index: number;
  port: number;
  process: ManagedProcess;
}

export interface ReplicatedPlatformOptions {
  layout: LocalLayout;
  replicas: number;
  natsUrl: string;
  stream: string;
  prefix: string;
  stateDir: string;
  simulatorConfig?: string;
  extraEnv?: Record<string, string>;
}

const ENTRY = (service: string) => `dist/apps/${service}/src/main.js`;

/**
 * The simulator plus `replicas` processes of each of the five services on one database and one
 * NATS cluster. tenant-service's replicas sit behind round-robin proxies (the stand-ins for a
 * Kubernetes Service): one for the step services' site-directory calls, one for admin REST.
 */
export class ReplicatedPlatform {
  readonly replicas: Replica[] = [];
  /** Peak resident set size (KiB) per service, over all its replicas and restarts. */
  readonly peakRssKiB: Record<string, number> = {};
  private sampler?: NodeJS.Timeout;

  private constructor(
    readonly base: LocalPlatform,
    readonly restProxy: RoundRobinProxy,
    private readonly directoryProxy: RoundRobinProxy,
  ) {}

  static async start(o: ReplicatedPlatformOptions): Promise<ReplicatedPlatform> {
    const ports = new Map<string, number[]>();
    for (const s of o.layout.services) {
      const list: number[] = [];
      for (let i = 0; i < o.replicas; i++) list.push(await freePort());
      ports.set(s.name, list);
    }
    const tenantPorts = ports.get('tenant-service')!;
    const directoryProxy = await RoundRobinProxy.start(tenantPorts);
    const restProxy = await RoundRobinProxy.start(tenantPorts);
    const base = await startLocalPlatform({
      layout: o.layout,
      stateDir: o.stateDir,
      simulatorConfig: o.simulatorConfig,
      simulatorPorts: { integrationServer: await freePort(), ksc: await freePort(), admin: await freePort() },
      ports: Object.fromEntries([...ports].map(([name, list]) => [name, list[0]])),
      maxVirtualServers: 500,
      license: { maxVms: 1_000_000 },
      extraEnv: {
        NATS_URL: o.natsUrl,
        NATS_STREAM: o.stream,
        NATS_SUBJECT_PREFIX: o.prefix,
        SITE_DIRECTORY_URL: directoryProxy.url,
        ...o.extraEnv,
      },
    });
    const platform = new ReplicatedPlatform(base, restProxy, directoryProxy);
    for (const s of o.layout.services) {
      const list = ports.get(s.name)!;
      const first = base.processes.find((p) => p.name === s.name)!;
      platform.replicas.push({ service: s.name, index: 0, port: list[0], process: first });
      for (let i = 1; i < list.length; i++)
        platform.replicas.push({
          service: s.name,
          index: i,
          port: list[i],
          process: platform.spawn(s.name, i, list[i]),
        });
    }
    await Promise.all(
      platform.replicas.map((r) =>
        waitHttpOk(`http://127.0.0.1:${r.port}/health/ready`, 90_000, `${r.service}#${r.index}`),
      ),
    );
    platform.sampler = setInterval(() => platform.sampleRss(), 500);
    return platform;
  }

  get adminUrl(): string {
    return this.base.simulator.adminUrl;
  }

  replica(service: string, index: number): Replica {
    const r = this.replicas.find((x) => x.service === service && x.index === index);
    if (!r) throw new Error(`no replica ${service}#${index}`);
    return r;
  }

  /** kill -9 of one replica (no graceful shutdown: in-flight events, jobs and the relay lock are abandoned). */
  async kill(service: string, index: number): Promise<void> {
    const r = this.replica(service, index);
    this.sampleRss();
    r.process.child.kill('SIGKILL');
    await r.process.exit;
  }

  /** SIGSTOP for `ms`, then SIGCONT: a replica that stalls (GC pause, starved VM) past its job leases and then wakes up. */
  async stall(service: string, index: number, ms: number): Promise<void> {
    const child = this.replica(service, index).process.child;
    child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, ms));
    child.kill('SIGCONT');
  }

  /** Log lines of a service's replicas matching `pattern` (e.g. fenced-out job writes). */
  countLogLines(service: string, pattern: RegExp): number {
    const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    return this.base.processes
      .filter((p) => p.name.startsWith(service))
      .reduce((n, p) => n + (p.output.join('').match(global)?.length ?? 0), 0);
  }

  /** Starts the replica again with the same environment; resolves when /health/ready answers 200. */
  async restart(service: string, index: number): Promise<number> {
    const r = this.replica(service, index);
    const started = Date.now();
    r.process = this.spawn(service, index, r.port);
    try {
      await waitHttpOk(`http://127.0.0.1:${r.port}/health/ready`, 90_000, `${service}#${index}`);
    } catch (e) {
      const exit = r.process.child.exitCode ?? r.process.child.signalCode;
      throw new Error(
        `${(e as Error).message}; process ${exit === null ? 'still running' : `exited (${exit})`}; last output:\n${r.process.output.join('').slice(-3000)}`,
      );
    }
    return Date.now() - started;
  }

  /** How often a replica of `service` took the outbox relay over (from the services' logs). */
  relayActivations(service: string): number {
    return this.countLogLines(service, /outbox relay is active/);
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    await this.base.stop(); // every replica was added to the base's process list
    await this.restProxy.stop();
    await this.directoryProxy.stop();
  }

  private spawn(service: string, index: number, port: number): ManagedProcess {
    const env = { ...this.base.envOf(service), HTTP_PORT: String(port) };
    const p = startNodeProcess(index === 0 ? service : `${service}#${index}`, ENTRY(service), env, {
      nodeArgs: [...SERVICE_NODE_FLAGS],
    });
    this.base.processes.push(p);
    return p;
  }

  private sampleRss(): void {
    for (const r of this.replicas) {
      const pid = r.process.child.pid;
      if (!pid || r.process.child.exitCode !== null || r.process.child.signalCode !== null) continue;
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
        this.peakRssKiB[r.service] = Math.max(this.peakRssKiB[r.service] ?? 0, kib);
      } catch {
        // the process is gone between the check and the read
      }
    }
  }
}
