import { createServer as createHttpServer, RequestListener, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo, Socket } from 'node:net';
import { createAdminApp } from '../admin/admin-app';
import { createIntegrationServerListener } from '../integration-server/is-http';
import { createKscListener } from '../ksc/ksc-http';
import { Site, SiteOptions } from '../site/site';
import { selfSignedTls, TlsMaterial } from './tls-material';

export interface SimulatorOptions {
  host?: string;
  sites: SiteOptions[];
  /** Site k listens on base + k; 0 = ephemeral ports (tests). */
  integrationServerPortBase: number;
  kscPortBase: number;
  /** Admin API (state, counters, faults); undefined = no admin listener. */
  adminPort?: number;
  /** `self-signed` generates a certificate at start; `off` serves plain HTTP for local use. */
  tls: 'self-signed' | 'off' | TlsMaterial;
}

export interface SiteEndpoints {
  siteId: string;
  integrationServerUrl: string;
  kscUrl: string;
}

export interface RunningSimulator {
  sites: Site[];
  endpoints: SiteEndpoints[];
  adminUrl?: string;
  tls?: TlsMaterial;
  site(id: string): Site;
  close(): Promise<void>;
}

async function listen(
  app: RequestListener,
  host: string,
  port: number,
  tls: TlsMaterial | undefined,
  sockets: Set<Socket>,
  onConnection?: () => void,
): Promise<Server> {
  const server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, app) : createHttpServer(app);
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => {
    onConnection?.();
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** Starts every site's Integration Server and KSC listeners (and the admin API). */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const tls = options.tls === 'off' ? undefined : options.tls === 'self-signed' ? await selfSignedTls() : options.tls;
  const scheme = tls ? 'https' : 'http';
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const sites = options.sites.map((o) => new Site(o));
  const endpoints: SiteEndpoints[] = [];
  try {
    for (const [k, site] of sites.entries()) {
      const isServer = await listen(
        createIntegrationServerListener(site),
        host,
        options.integrationServerPortBase ? options.integrationServerPortBase + k : 0,
        tls,
        sockets,
        () => site.connections.integrationServer++,
      );
      const kscServer = await listen(
        createKscListener(site),
        host,
        options.kscPortBase ? options.kscPortBase + k : 0,
        tls,
        sockets,
        () => site.connections.ksc++,
      );
      servers.push(isServer, kscServer);
      endpoints.push({
        siteId: site.id,
        integrationServerUrl: `${scheme}://${host}:${(isServer.address() as AddressInfo).port}`,
        kscUrl: `${scheme}://${host}:${(kscServer.address() as AddressInfo).port}`,
      });
    }
    let adminUrl: string | undefined;
    if (options.adminPort !== undefined) {
      const admin = await listen(
        createAdminApp(sites, () => endpoints),
        host,
        options.adminPort,
        undefined,
        sockets,
      );
      servers.push(admin);
      adminUrl = `http://${host}:${(admin.address() as AddressInfo).port}`;
    }
    return {
      sites,
      endpoints,
      adminUrl,
      tls,
      site: (id) => {
        const s = sites.find((x) => x.id === id);
        if (!s) throw new Error(`no site ${id}`);
        return s;
      },
      close: async () => {
        for (const s of sites) s.stop();
        for (const s of sockets) s.destroy();
        await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
      },
    };
  } catch (e) {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
    throw e;
  }
}
