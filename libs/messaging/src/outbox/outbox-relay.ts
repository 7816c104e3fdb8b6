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
  /**
   * How long rows published from a hand-over may wait before they are marked together (one UPDATE
   * for all of them). Only the mark waits, never the publish; a crash in between republishes them
   * (deduplicated by JetStream's message id and the consumers' inboxes). Default 1 s.
   */
  markDelayMs?: number;
  /**
   * How long a notification of this process's own row waits for the row's hand-over before the
   * relay reads the table instead (a commit whose outcome the writer could not see). Default 200 ms.
   */
  handOverGraceMs?: number;
  /** Test seam: called after JetStream acked a batch and before the rows are marked. */
  afterPublish?: (ids: string[]) => Promise<void>;
}

/** A NOTIFY from the outbox trigger: a row of this process's pool (by id), or another writer's. */
type Notice = { id: string } | { foreign: true };

/** Ids remembered as published, to drop a late hand-over or notification of a row already sent. */
const RECENT_MAX = 10_000;

/**
 * Publishes committed outbox rows to JetStream and marks them only after the PubAck.
 *
 * Several replicas may run: a session-level advisory lock elects one active relay per schema
 * (the others stand by). Within a batch, rows of one tenant go out one after the other while
 * different tenants go out concurrently — per-tenant order holds even when a publish fails (the
 * tenant's later rows wait, and the next round reads the table).
 *
 * Two ways in, one order. The outbox trigger notifies once per row, `<origin>:<id>`, at commit, and
 * the listening connection receives notifications in commit order.
 * - Rows written by this process (the same pool origin) are handed over by the repository right
 *   after their commit (OutboxRepository.onCommitted), already in memory: the relay publishes them
 *   in the order of their notifications, without reading the table, and marks them published in
 *   batches (markDelayMs). A notification whose hand-over does not come (handOverGraceMs) makes the
 *   relay read the table.
 * - Any other notification (another replica, a connection without an origin), the start of
 *   leadership, the safety-net poll and every failure make the relay read the table: all pending
 *   rows in `seq` order, as before. Notifications received before that read began are covered by it;
 *   own rows whose notification arrives after a foreign one wait for that read.
 * So a row is never published before a row of the same tenant that committed before it was written
 * and whose notification arrived first, which is what `seq` order gave (seq is taken at insert, so
 * concurrent transactions were never ordered by it either).
 */
export class OutboxRelay {
  private client?: Client;
  private running = false;
  private leader = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private failures = 0;
  /** Set by NOTIFY or a hand-over; lets one that arrives mid-round trigger the next round at once. */
  private notified = false;
  /** This pool's origin (the NOTIFY payload's prefix for rows this process wrote). */
  private origin?: string;
  private notices: Notice[] = [];
  /** Rows handed over after commit, waiting for their notification; with the order they came in. */
  private handed = new Map<string, { row: PendingOutboxRow; n: number }>();
  private handedCount = 0;
  private recent = new Set<string>();
  /** Why the table must be read before anything else is published (start, poll, failure, grace). */
  private mustRead?: 'start' | 'poll or grace' | 'failure' = 'start';
  /** When a notification of our own first waited for its hand-over (ms since epoch). */
  private waitingSince?: number;
  private unmarked: string[] = [];
  private markTimer?: NodeJS.Timeout;
  private marking: Promise<void> = Promise.resolve();

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly publisher: EventPublisher,
    private readonly metrics: PlatformMetrics,
    private readonly logger: Logger,
    private readonly options: OutboxRelayOptions,
  ) {
    outbox.onCommitted((rows) => this.handOver(rows));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.flushMarks().catch((e: unknown) =>
      this.logger.warn({ err: e }, 'outbox relay could not mark published rows at stop; they will be sent again'),
    );
    await this.releaseLeadership();
  }

  isLeader(): boolean {
    return this.leader;
  }

  /**
   * Rows this process just committed (OutboxRepository.onCommitted). Kept until their notification
   * says where they stand in commit order; dropped when this relay is not the active one (the
   * active relay reads them from the table on their notification).
   */
  handOver(rows: PendingOutboxRow[]): void {
    if (!this.leader) return;
    for (const row of rows) {
      if (this.recent.has(row.id)) continue;
      this.handed.set(row.id, { row, n: this.handedCount++ });
    }
    if (this.waitingSince !== undefined) this.wakeUp();
  }

  /**
   * Publishes everything pending now (committed before the call); returns how many rows were
   * published. Used by `run` and tests. A batch smaller than the batch size held every pending row,
   * so no second fetch follows it: a row committed since then sends its NOTIFY after our round
   * began, which starts the next round at once.
   */
  async drain(): Promise<number> {
    await this.flushMarks();
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
      let waitMs = this.options.pollIntervalMs ?? 1000;
      try {
        if (!this.leader) await this.tryBecomeLeader();
        if (this.leader) {
          this.notified = false;
          await this.round();
          this.failures = 0;
          if (this.waitingSince !== undefined)
            waitMs = Math.max(0, this.waitingSince + (this.options.handOverGraceMs ?? 200) - Date.now());
        }
      } catch (e) {
        this.failures++;
        this.mustRead = 'failure';
        this.logger.warn({ err: e, failures: this.failures }, 'outbox relay round failed');
        if (this.client === undefined) this.leader = false;
      }
      const woken = await this.sleep(this.failures > 0 ? this.backoff() : waitMs);
      // The poll, a hand-over that did not come, or a retry: read the table.
      if (!woken) this.mustRead ??= 'poll or grace';
    }
  }

  /** One round: read the table when it must be, else publish the handed-over rows notified so far. */
  private async round(): Promise<void> {
    if (this.mustRead || this.notices.some((n) => 'foreign' in n)) {
      this.logger.debug({ reason: this.mustRead ?? 'another writer' }, 'outbox relay reads the table');
      this.mustRead = undefined;
      this.waitingSince = undefined;
      // Everything notified or handed over until now committed before the read below starts.
      const notices = this.notices.length;
      const handed = this.handedCount;
      await this.drain();
      this.notices.splice(0, notices);
      for (const [id, h] of this.handed) if (h.n < handed) this.handed.delete(id);
      return;
    }
    const rows: PendingOutboxRow[] = [];
    let taken = 0;
    for (const notice of this.notices as { id: string }[]) {
      const h = this.handed.get(notice.id);
      if (h) {
        this.handed.delete(notice.id);
        if (!this.recent.has(notice.id)) rows.push(h.row); // else a read of the table sent it
      } else if (!this.recent.has(notice.id)) break; // its hand-over comes after its notification
      taken++;
    }
    this.notices.splice(0, taken);
    if (this.notices.length === 0) this.waitingSince = undefined;
    else this.waitingSince ??= Date.now();
    if (rows.length === 0) return;
    const { published, failed } = await this.publishBatch(rows);
    if (published.length > 0) {
      await this.options.afterPublish?.(published);
      this.metrics.outboxPublished.inc(published.length);
      this.markLater(published);
    }
    if (failed) throw failed;
  }

  private remember(id: string): void {
    this.recent.add(id);
    if (this.recent.size > RECENT_MAX) this.recent.delete(this.recent.values().next().value as string);
  }

  /** Group commit of marks: one UPDATE for the rows published within markDelayMs. */
  private markLater(ids: string[]): void {
    this.unmarked.push(...ids);
    if (this.unmarked.length >= (this.options.batchSize ?? 500)) void this.flushMarks().catch(() => undefined);
    else if (!this.markTimer) {
      this.markTimer = setTimeout(
        () => void this.flushMarks().catch(() => undefined),
        this.options.markDelayMs ?? 1000,
      );
      this.markTimer.unref();
    }
  }

  private flushMarks(): Promise<void> {
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
    const ids = this.unmarked.splice(0);
    this.marking = this.marking.then(async () => {
      if (ids.length === 0) return;
      try {
        await this.outbox.markPublished(ids);
      } catch (e) {
        // Published but not marked: the next read of the table sends them again (deduplicated).
        this.logger.warn({ err: e, rows: ids.length }, 'outbox relay could not mark published rows');
        throw e;
      }
    });
    const done = this.marking;
    this.marking = done.catch(() => undefined);
    return done;
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
            this.remember(row.id);
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

  private onNotification(payload: string | undefined): void {
    const sep = payload?.lastIndexOf(':') ?? -1;
    const origin = sep > 0 ? payload!.slice(0, sep) : '';
    if (this.origin && origin === this.origin) this.notices.push({ id: payload!.slice(sep + 1) });
    // Never folded into an earlier foreign notice: that one may be covered by a read already under way.
    else this.notices.push({ foreign: true });
    this.wakeUp();
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
    this.origin = (await this.outbox.origin()) || undefined;
    this.notices = [];
    this.handed.clear();
    this.mustRead = 'start';
    client.on('notification', (msg) => this.onNotification(msg.payload));
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

  /** Resolves true when woken (NOTIFY, hand-over, stop), false when the time ran out. */
  private sleep(ms: number): Promise<boolean> {
    if (!this.running) return Promise.resolve(true);
    if (this.notified && this.failures === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(false);
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(true);
      };
    });
  }
}
