import { connect, ConnectionOptions, NatsConnection } from 'nats';
import type { Logger } from 'pino';

export interface NatsSettings {
  servers: string;
  name: string;
  user?: string;
  pass?: string;
  /** Verify the server's TLS certificate against this CA bundle (PEM file). */
  tlsCaFile?: string;
}

/** One NATS connection per process; reconnects forever, logs status changes. */
export async function connectNats(settings: NatsSettings, logger: Logger): Promise<NatsConnection> {
  const options: ConnectionOptions = {
    servers: settings.servers.split(','),
    name: settings.name,
    user: settings.user,
    pass: settings.pass,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    waitOnFirstConnect: true,
    timeout: 5000,
    ...(settings.tlsCaFile ? { tls: { caFile: settings.tlsCaFile } } : {}),
  };
  const nc = await connect(options);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'pingTimer') continue;
      logger.info({ nats: s.type, data: typeof s.data === 'string' ? s.data : undefined }, 'nats connection status');
    }
  })();
  return nc;
}
