import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { devSecrets, LocalLayout, ROOT_DIR, serviceEnv } from '../bootstrap/local-layout';
import { SEED_PUSH_INSTALL_ACCOUNT, simulatorSiteDeployment } from '@tpo/kaspersky-simulator';
import { DEFAULT_INTEGRATION_SERVER_AGENT_PORT } from '@tpo/site-directory';
import {
  assertPortsFree,
  ManagedProcess,
  SERVICE_NODE_FLAGS,
  startNodeProcess,
  stopAll,
  waitHttpOk,
} from './processes';

export interface SimulatorEndpoints {
  endpoints: { siteId: string; integrationServerUrl: string; kscUrl: string }[];
  adminUrl: string;
}

export interface LocalPlatformOptions {
  layout: LocalLayout;
  /** Where the simulator writes its certificate/endpoints and the platform its sites file. */
  stateDir: string;
  sites?: number;
  simulatorConfig?: string;
  simulatorPorts?: { integrationServer: number; ksc: number; admin: number };
  /** Port per service (defaults to the layout's). */
  ports?: Record<string, number>;
  extraEnv?: Record<string, string>;
  license?: { maxVms?: number; expiresAt?: string };
  maxVirtualServers?: number;
  echo?: boolean;
  /** Start the ops console on this port (apps/ops-console). */
  consolePort?: number;
  /** Each process's output goes to `<logDir>/<name>.log` (emptied at start). */
  logDir?: string;
  /** Extra Node.js flags for the five services (e.g. --cpu-prof for the benches). */
  serviceNodeArgs?: string[];
  /** Extra Node.js flags for the simulator (e.g. --cpu-prof: it shares the machine with the services). */
  simulatorNodeArgs?: string[];
  onUnexpectedExit?: (name: string, code: number | null) => void;
}

export interface LocalPlatform {
  simulator: SimulatorEndpoints;
  processes: ManagedProcess[];
  /** Holds the simulator's certificate.pem (trust it to call the simulated servers). */
  stateDir: string;
  url(service: string): string;
  /** The environment a service was started with (to start more replicas of it). */
  envOf(service: string): Record<string, string>;
  /** The ops console, when started. */
  consoleUrl?: string;
  /** kill -9 a service (a crash), then start it again with the same environment and wait until ready. */
  crashAndRestart(service: string, beforeRestart?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The simulator (one or more sites, HTTPS with its own certificate), a sites file pointing the
 * platform at it (secrets by env reference), and the five services — all as real processes.
 */
export async function startLocalPlatform(o: LocalPlatformOptions): Promise<LocalPlatform> {
  const secrets = devSecrets();
  const ports = o.simulatorPorts ?? { integrationServer: 7271, ksc: 13299, admin: 7399 };
  const portOf = (name: string) => o.ports?.[name] ?? o.layout.services.find((s) => s.name === name)!.port;
  await assertPortsFree([
    ports.integrationServer,
    ports.ksc,
    ports.admin,
    ...o.layout.services.map((s) => portOf(s.name)),
    ...(o.consolePort ? [o.consolePort] : []),
  ]);
  mkdirSync(o.stateDir, { recursive: true });
  const processes: ManagedProcess[] = [];
  let stopping = false;
  if (o.logDir) {
    rmSync(o.logDir, { recursive: true, force: true });
    mkdirSync(o.logDir, { recursive: true });
  }
  const onExit = (name: string) => (code: number | null) => {
    if (!stopping && code !== null) o.onUnexpectedExit?.(name, code);
  };
  const sim = startNodeProcess(
    'kaspersky-simulator',
    'dist/apps/kaspersky-simulator/src/main.js',
    {
      SIM_SITES: String(o.sites ?? 1),
      SIM_TLS: 'self-signed',
      SIM_IS_PORT: String(ports.integrationServer),
      SIM_KSC_PORT: String(ports.ksc),
      SIM_ADMIN_PORT: String(ports.admin),
      SIM_IS_PASSWORD: secrets.simulatorIsPassword,
      SIM_KSC_PASSWORD: secrets.simulatorKscPassword,
      SIM_PUSH_INSTALL_PASSWORD: secrets.simulatorPushInstallPassword,
      SIM_STATE_DIR: o.stateDir,
      ...(o.simulatorConfig ? { SIM_CONFIG: o.simulatorConfig } : {}),
    },
    { echo: o.echo, logDir: o.logDir, onExit: onExit('kaspersky-simulator'), nodeArgs: o.simulatorNodeArgs },
  );
  processes.push(sim);
  try {
    await waitHttpOk(`http://127.0.0.1:${ports.admin}/sites`, 30_000, 'kaspersky-simulator');
    const simulator = JSON.parse(readFileSync(resolve(o.stateDir, 'endpoints.json'), 'utf8')) as SimulatorEndpoints;
    const sitesFile = resolve(o.stateDir, 'sites.json');
    const certificate = resolve(o.stateDir, 'certificate.pem');
    writeFileSync(
      sitesFile,
      JSON.stringify(
        {
          sites: simulator.endpoints.map((e) => ({
            id: e.siteId,
            name: `Simulated ${e.siteId}`,
            maxVirtualServers: o.maxVirtualServers ?? 500,
            integrationServer: {
              url: e.integrationServerUrl,
              username: 'multitenancy',
              password: { env: 'TPO_SIM_IS_PASSWORD' },
              tls: { caFile: certificate },
              addressForAgents: '127.0.0.1',
              agentPort: DEFAULT_INTEGRATION_SERVER_AGENT_PORT,
            },
            ksc: {
              url: e.kscUrl,
              username: 'svc-onboard',
              password: { env: 'TPO_SIM_KSC_PASSWORD' },
              tls: { caFile: certificate },
              publicAddress: 'localhost',
              // The account the simulated VMs accept for a Network Agent push install (password by env reference).
              pushInstall: {
                username: SEED_PUSH_INSTALL_ACCOUNT.username,
                password: { env: 'TPO_SIM_PUSH_INSTALL_PASSWORD' },
              },
            },
            license: o.license ?? { maxVms: 100_000 },
            // What `npm run ksc:capture` yields for a seeded simulated site.
            deployment: simulatorSiteDeployment(),
          })),
        },
        null,
        2,
      ),
    );
    const tenantUrl = `http://127.0.0.1:${portOf('tenant-service')}`;
    const envs = new Map<string, Record<string, string>>();
    for (const s of o.layout.services) {
      const env = serviceEnv(
        o.layout,
        { ...s, port: portOf(s.name) },
        {
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
          // Traces go to a collector only when one is named (off by default).
          ...(process.env.OTEL_EXPORTER_OTLP_ENDPOINT
            ? { OTEL_EXPORTER_OTLP_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_ENDPOINT }
            : {}),
          ...(s.name === 'tenant-service'
            ? {
                SITE_URL_ALLOW: 'loopback',
                SITES_FILE: sitesFile,
                TPO_SIM_IS_PASSWORD: secrets.simulatorIsPassword,
                TPO_SIM_KSC_PASSWORD: secrets.simulatorKscPassword,
                TPO_SIM_PUSH_INSTALL_PASSWORD: secrets.simulatorPushInstallPassword,
              }
            : { SITE_DIRECTORY_URL: tenantUrl, SITE_URL_ALLOW: 'loopback' }),
          ...o.extraEnv,
        },
      );
      envs.set(s.name, env);
      processes.push(
        startNodeProcess(s.name, `dist/apps/${s.name}/src/main.js`, env, {
          echo: o.echo,
          logDir: o.logDir,
          onExit: onExit(s.name),
          nodeArgs: [...SERVICE_NODE_FLAGS, ...(o.serviceNodeArgs ?? [])],
        }),
      );
    }
    const crashed = new Set<string>();
    await Promise.all(
      o.layout.services.map((s) =>
        waitHttpOk(
          `http://127.0.0.1:${portOf(s.name)}/health/ready`,
          120_000,
          s.name,
          processes.find((p) => p.name === s.name),
        ),
      ),
    );
    let consoleUrl: string | undefined;
    if (o.consolePort) {
      processes.push(
        startNodeProcess('ops-console', 'dist/apps/ops-console/src/main.js', consoleEnv(o, o.consolePort, portOf), {
          echo: o.echo,
          logDir: o.logDir,
          onExit: onExit('ops-console'),
        }),
      );
      consoleUrl = `http://127.0.0.1:${o.consolePort}`;
      await waitHttpOk(`${consoleUrl}/health/ready`, 30_000, 'ops-console');
    }
    return {
      simulator,
      processes,
      stateDir: o.stateDir,
      consoleUrl,
      url: (service) => `http://127.0.0.1:${portOf(service)}`,
      envOf: (service) => ({ ...envs.get(service)! }),
      crashAndRestart: async (service, beforeRestart) => {
        const i = processes.findIndex(
          (p) => p.name === service && p.child.exitCode === null && p.child.signalCode === null,
        );
        if (i < 0) throw new Error(`${service} is not running`);
        crashed.add(service);
        processes[i].child.kill('SIGKILL');
        await processes[i].exit;
        await beforeRestart?.();
        const restarted = startNodeProcess(service, `dist/apps/${service}/src/main.js`, envs.get(service)!, {
          echo: o.echo,
          logDir: o.logDir,
          onExit: onExit(service),
          nodeArgs: [...SERVICE_NODE_FLAGS, ...(o.serviceNodeArgs ?? [])],
        });
        processes.push(restarted);
        await waitHttpOk(`http://127.0.0.1:${portOf(service)}/health/ready`, 120_000, service, restarted);
      },
      stop: async () => {
        stopping = true;
        await stopAll(processes);
      },
    };
  } catch (e) {
    stopping = true;
    await stopAll(processes);
    throw e;
  }
}

/** The console's environment: the services it forwards to, the live event subjects, the same token secret. */
function consoleEnv(o: LocalPlatformOptions, port: number, portOf: (name: string) => number): Record<string, string> {
  const pick = (k: string) => (o.extraEnv?.[k] ? { [k]: o.extraEnv[k] } : {});
  return {
    HTTP_PORT: String(port),
    NATS_URL: o.layout.natsUrl,
    SERVICE_URLS: o.layout.services.map((s) => `${s.name}=http://127.0.0.1:${portOf(s.name)}`).join(','),
    AUTH_JWT_SECRET: devSecrets().jwtSecret,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    ...pick('NATS_SUBJECT_PREFIX'),
    ...pick('AUTH_API_KEYS'),
  };
}

export const DEFAULT_STATE_DIR = resolve(ROOT_DIR, '.local', 'platform');
