import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { connect, NatsConnection, Subscription } from 'nats';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { Observable, Subject } from 'rxjs';
import { ReadinessCheck } from '@tpo/platform';
import { OpsConsoleEnv } from '../config/ops-console.env';
import { CONSOLE_CONFIG, CONSOLE_LOGGER } from '../tokens';
import { LiveEvent, toLiveEvent } from './live-event';

/**
 * One plain NATS subscription to `<prefix>.evt.>`, fanned out to every open browser stream. It is a
 * read-only path by construction: no JetStream consumer is created or acked (the services' durable
 * consumers are untouched), nothing is published, and in a secured deployment the connection uses a
 * subscribe-only user (`dashboard` in deploy/nats: publish deny ">").
 */
@Injectable()
export class LiveEventsService implements OnModuleInit, OnApplicationShutdown, ReadinessCheck {
  readonly name = 'nats';
  private nc?: NatsConnection;
  private subscription?: Subscription;
  private readonly events = new Subject<LiveEvent>();

  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: OpsConsoleEnv,
    @Inject(CONSOLE_LOGGER) private readonly logger: Logger,
  ) {}

  get stream(): Observable<LiveEvent> {
    return this.events.asObservable();
  }

  async onModuleInit(): Promise<void> {
    const c = this.config;
    this.nc = await connect({
      servers: c.NATS_URL.split(','),
      name: 'ops-console',
      user: c.NATS_USER,
      pass: c.NATS_PASSWORD,
      maxReconnectAttempts: -1,
      ...(c.NATS_TLS_CA_FILE ? { tls: { ca: readFileSync(c.NATS_TLS_CA_FILE, 'utf8') } } : {}),
    });
    this.subscription = this.nc.subscribe(`${c.NATS_SUBJECT_PREFIX}.evt.>`);
    void this.pump(this.subscription);
    this.logger.info({ subject: `${c.NATS_SUBJECT_PREFIX}.evt.>` }, 'listening to live events');
  }

  private async pump(subscription: Subscription): Promise<void> {
    for await (const m of subscription) {
      const event = toLiveEvent(Buffer.from(m.data).toString('utf8'));
      if (event) this.events.next(event);
    }
  }

  async check(): Promise<string | void> {
    if (!this.nc || this.nc.isClosed()) return 'not connected to NATS';
  }

  async onApplicationShutdown(): Promise<void> {
    this.events.complete();
    if (this.nc && !this.nc.isClosed()) await this.nc.drain().catch(() => undefined);
  }
}
