import { subjectOf } from '@tpo/contracts';
import { currentTraceCarrier, PlatformMetrics, SpanKind, withSpan } from '@tpo/platform';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { EventPublisher } from '../jetstream/event-publisher';
import { OutboxRepository, PendingOutboxRow } from './outbox.repository';

const publishAttributes = (subject: string, row: PendingOutboxRow) => ({
  'messaging.system': 'nats',
  'messaging.operation.type': 'send',
  'messaging.destination.name': subject,
  'messaging.message.id': row.id,
  ...(row.tenantId ? { 'tpo.tenant_id': row.tenantId } : {}),
});

export interface OutboxRelayOptions {
  databaseUrl: string;
  schema: string;
  subjectPrefix: string;
  batchSize?: number;
  /** Safety-net poll when no NOTIFY arrives (the normal wake-up is LISTEN/NOTIFY). */
  pollIntervalMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Test seam: called after JetStream acked a batch and before the rows are marked. */
  afterPublish?: (ids: string[]) => Promise<void>;
}

/**
 * Publishes committed outbox rows to JetStream and marks them only after the PubAck.
 *
 * Several replicas may run: a session-level advisory lock elects one active relay per schema
 * (the others stand by), so rows leave in `seq` order. Within a batch, rows of one tenant go out
 * one after the other while different tenants go out concurrently — per-tenant order holds even
 * when a publish fails (the tenant's later rows wait for the next round).
 */
export class OutboxRelay {
  private client?: Client;
  private running = false;
  private leader = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private failures = 0;
  /** Set by NOTIFY; lets a notification that arrives mid-drain trigger the next round at once. */
  private notified = false;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly publisher: EventPublisher,
    private readonly metrics: PlatformMetrics,
    private readonly logger: Logger,
    private readonly options: OutboxRelayOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp();
    await this.loop;
    await this.releaseLeadership();
  }

  isLeader(): boolean {
    return this.leader;
  }

  /**
   * Publishes everything pending now (committed before the call); returns how many rows were
   * published. Used by `run` and tests. A batch smaller than the batch size held every pending row,
   * so no second fetch follows it: a row committed since then sends its NOTIFY after our round
   * began, which starts the next round at once.
   */
  async drain(): Promise<number> {
    let total = 0;
    const batchSize = this.options.batchSize ?? 500;
    for (;;) {
      const rows = await this.outbox.fetchPending(batchSize);
      if (rows.length === 0) return total;
      const { published, failed } = await this.publishBatch(rows);
      if (published.length > 0) {
        await this.options.afterPublish?.(published);
        await this.outbox.markPublished(published);
        this.metrics.outboxPublished.inc(published.length);
        total += published.length;
      }
      if (failed) throw failed;
      if (rows.length < batchSize) return total;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!this.leader) await this.tryBecomeLeader();
        if (this.leader) {
          this.notified = false;
          await this.drain();
          this.failures = 0;
        }
      } catch (e) {
        this.failures++;
        this.logger.warn({ err: e, failures: this.failures }, 'outbox relay round failed');
        if (this.client === undefined) this.leader = false;
      }
      await this.sleep(this.failures > 0 ? this.backoff() : (this.options.pollIntervalMs ?? 1000));
    }
  }

  private async publishBatch(rows: PendingOutboxRow[]): Promise<{ published: string[]; failed?: Error }> {
    const byTenant = new Map<string, PendingOutboxRow[]>();
    for (const r of rows) {
      const key = r.tenantId ?? r.id;
      const list = byTenant.get(key);
      if (list) list.push(r);
      else byTenant.set(key, [r]);
    }
    const published: string[] = [];
    let failed: Error | undefined;
    await Promise.all(
      [...byTenant.values()].map(async (chain) => {
        for (const row of chain) {
          try {
            const subject = subjectOf({ key: row.eventKey }, this.options.subjectPrefix);
            // A PRODUCER span in the emitting work's trace; its context travels in the message headers.
            const ack = await withSpan(
              `${subject} publish`,
              { kind: SpanKind.PRODUCER, parent: row.traceContext, attributes: publishAttributes(subject, row) },
              () =>
                this.publisher.publish(
                  subject,
                  row.id,
                  JSON.stringify(row.envelope),
                  currentTraceCarrier() ?? row.traceContext ?? {},
                ),
            );
            if (ack.duplicate)
              this.logger.info({ eventId: row.id }, 'JetStream reported duplicate publish; marking as published');
            published.push(row.id);
          } catch (e) {
            failed = e as Error;
            await this.outbox.recordFailure(row.id, (e as Error).message).catch(() => undefined);
            return; // later rows of this tenant wait, keeping per-tenant order
          }
        }
      }),
    );
    return { published, failed };
  }

  private async tryBecomeLeader(): Promise<void> {
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: `outbox-relay:${this.options.schema}`,
    });
    client.on('error', (e) => {
      this.logger.warn({ err: e }, 'outbox relay lock connection lost');
      this.leader = false;
      this.client = undefined;
      this.wakeUp();
    });
    await client.connect();
    const [{ locked }] = (
      await client.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [`outbox-relay:${this.options.schema}`])
    ).rows;
    if (!locked) {
      await client.end();
      return;
    }
    client.on('notification', () => this.wakeUp());
    await client.query(`LISTEN "${this.options.schema}_outbox"`);
    this.client = client;
    this.leader = true;
    this.logger.info({ schema: this.options.schema }, 'outbox relay is active');
  }

  private async releaseLeadership(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.leader = false;
    if (client) await client.end().catch(() => undefined);
  }

  private backoff(): number {
    const base = this.options.retryBaseMs ?? 200;
    const max = this.options.retryMaxMs ?? 30_000;
    const exp = Math.min(max, base * 2 ** Math.min(this.failures - 1, 20));
    return Math.round(exp * (0.8 + Math.random() * 0.4));
  }

  private wakeUp(): void {
    this.notified = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.notified && this.failures === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
