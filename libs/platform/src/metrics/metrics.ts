import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, with the platform's event metrics pre-declared. */
export class PlatformMetrics {
  readonly registry = new Registry();

  readonly eventsHandled: Counter<'subject' | 'outcome'>;
  readonly eventsFailed: Counter<'subject' | 'reason'>;
  readonly handlerDuration: Histogram<'subject'>;
  readonly deadLetters: Gauge<never>;
  readonly outboxBacklog: Gauge<never>;
  readonly outboxOldestAge: Gauge<never>;
  readonly outboxPublished: Counter<never>;
  private readonly scrapeRefreshers: (() => Promise<void>)[] = [];
  private refreshing?: Promise<void>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    // The event-loop lag histogram samples every 100 ms: prom-client's default (10 ms) woke every idle
    // service 100 times a second with nothing to do. A stall still shows, since it delays the next
    // sample by its own length.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    this.eventsHandled = new Counter({
      name: 'tpo_events_handled_total',
      help: 'Events taken off JetStream, by subject and outcome (applied, duplicate, retry, dead_lettered)',
      labelNames: ['subject', 'outcome'],
      registers: [this.registry],
    });
    this.eventsFailed = new Counter({
      name: 'tpo_events_failed_total',
      help: 'Handler failures by subject and reason (invalid, transient, permanent)',
      labelNames: ['subject', 'reason'],
      registers: [this.registry],
    });
    this.handlerDuration = new Histogram({
      name: 'tpo_event_handler_duration_seconds',
      help: 'Time from delivery to commit, per subject',
      labelNames: ['subject'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    // Read from the database when scraped, not on a timer: an idle platform issues no queries.
    const collect = () => this.refreshForScrape();
    this.deadLetters = new Gauge({
      name: 'tpo_dead_letters',
      help: 'Dead-lettered events awaiting replay',
      registers: [this.registry],
      collect,
    });
    this.outboxBacklog = new Gauge({
      name: 'tpo_outbox_backlog',
      help: 'Outbox rows not yet acknowledged by JetStream',
      registers: [this.registry],
      collect,
    });
    this.outboxOldestAge = new Gauge({
      name: 'tpo_outbox_oldest_age_seconds',
      help: 'Age of the oldest unpublished outbox row (0 when empty)',
      registers: [this.registry],
      collect,
    });
    this.outboxPublished = new Counter({
      name: 'tpo_outbox_published_total',
      help: 'Outbox rows published',
      registers: [this.registry],
    });
  }

  /** Registers a refresh of database-backed gauges, run once per scrape (errors leave the last values). */
  onScrape(refresh: () => Promise<void>): void {
    this.scrapeRefreshers.push(refresh);
  }

  private refreshForScrape(): Promise<void> {
    this.refreshing ??= Promise.all(this.scrapeRefreshers.map((r) => r().catch(() => undefined)))
      .then(() => undefined)
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }
}
