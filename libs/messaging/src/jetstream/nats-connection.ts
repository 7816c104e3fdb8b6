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

/**
 * The reply-subject prefix of a NATS user: `_INBOX_<user>`. Each user may subscribe only to its own
 * prefix, so no user (e.g. `order-ingest`) can read the replies, JetStream acks or pulled messages
 * meant for another (a shared `_INBOX.>` would let it).
 */
export function inboxPrefixOf(user: string): string {
  return `_INBOX_${user.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
}

/** One NATS connection per process; reconnects forever, logs status changes. */
export async function connectNats(settings: NatsSettings, logger: Logger): Promise<NatsConnection> {
  const options: ConnectionOptions = {
    servers: settings.servers.split(','),
    name: settings.name,
    user: settings.user,
    pass: settings.pass,
    ...(settings.user ? { inboxPrefix: inboxPrefixOf(settings.user) } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    waitOnFirstConnect: true,
    timeout: 5000,
    // nats.js otherwise captures a stack trace (`new Error()`) for every request and timer, i.e. for
    // every JetStream publish and pull: ~2% of a busy service's CPU in the backbone bench's profile.
    // A request that fails still fails with its NatsError (code and message), only without the
    // caller's async stack.
    noAsyncTraces: true,
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
