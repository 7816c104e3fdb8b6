import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How often prom-client's event-loop lag histogram samples the loop. Every sample is a timer that
 * wakes the process: at prom-client's default (10 ms) an idle service spent ~6.7 ms of CPU a second
 * on it on the development machine, at 100 ms ~1.7 ms (a virtual machine's timer wake-up costs
 * ~0.2 ms there); at 1 s it is negligible. A stall longer than this shows in the histogram; shorter
 * ones show in the loop's busy time (tpo_event_loop_busy_seconds_total), which needs no timer.
 */
export const EVENT_LOOP_LAG_RESOLUTION_MS = 1000;

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
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_LAG_RESOLUTION_MS });
    // Read from the loop's own accounting when scraped: rate() of it is the loop's utilisation.
    let busyMs = performance.eventLoopUtilization().active;
    new Counter({
      name: 'tpo_event_loop_busy_seconds_total',
      help: 'Time the event loop spent running code (not waiting for I/O or timers); its rate is the loop utilisation (1 = saturated)',
      registers: [this.registry],
      collect() {
        const now = performance.eventLoopUtilization().active;
        this.inc(Math.max(0, now - busyMs) / 1000);
        busyMs = now;
      },
    });
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
