import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { consumerNameOf, EventDefinition, EventEnvelope, warmEventValidators } from '@tpo/contracts';
import { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import { lastValueFrom } from 'rxjs';
import type { Logger } from 'pino';
import {
  EventHandlerFn,
  EventHandlerOptions,
  EventProcessor,
  InvalidEventHandlerFn,
} from '../processing/event-processor';
import { KeyedExecutor } from '../processing/keyed-executor';

export interface JetStreamServerOptions {
  service: string;
  stream: string;
  subjectPrefix: string;
  concurrency: number;
  ackWaitMs: number;
  /** Known event definitions by key (the contracts catalog, plus test-only ones). */
  definitions: readonly EventDefinition[];
}

interface Subscription {
  key: string;
  consumer: string;
  messages: ConsumerMessages;
  loop: Promise<void>;
}

/**
 * NestJS transport over JetStream durable pull consumers (Nest's built-in NATS transport is core
 * NATS only). Handlers are found through `@OnEvent(Definition)`; each gets its own durable consumer
 * (created by the bootstrap from deploy/nats/topology.json), explicit acks, delayed redelivery for
 * transient errors, and termination + dead-letter for poison messages.
 */
export class JetStreamServer extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];
  private readonly executor: KeyedExecutor;
  private closing = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly processor: EventProcessor,
    private readonly log: Logger,
    private readonly options: JetStreamServerOptions,
  ) {
    super();
    this.executor = new KeyedExecutor(options.concurrency);
  }

  /** Consumers this service needs (for readiness checks and the bootstrap's sanity check). */
  consumerNames(): string[] {
    return this.eventKeys().map((key) => consumerNameOf(this.options.service, { key }));
  }

  /** Event keys with a handler (rejection handlers `<key>#invalid` ride on their event's consumer). */
  private eventKeys(): string[] {
    return [...this.messageHandlers.keys()].filter((k) => !k.endsWith('#invalid'));
  }

  /** The handler for an event key, wrapped so that domain errors reach the processor intact. */
  handlerFor(key: string):
    | {
        definition: EventDefinition;
        consumer: string;
        fn: EventHandlerFn;
        onInvalid?: InvalidEventHandlerFn;
        options: EventHandlerOptions;
      }
    | undefined {
    const handler = this.messageHandlers.get(key);
    const invalid = this.messageHandlers.get(`${key}#invalid`);
    const definition = this.options.definitions.find((d) => d.key === key);
    if (!handler || !definition) return undefined;
    const fn: EventHandlerFn = async (envelope: EventEnvelope, inbox) => {
      // The inbox claim reaches a `claimsInbox` handler as its context argument (`@Ctx()`).
      const result = await handler(envelope, inbox);
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
    };
    const onInvalid: InvalidEventHandlerFn | undefined = invalid
      ? async (envelope, reasons) => {
          const result = await invalid({ envelope, reasons });
          await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
        }
      : undefined;
    const options: EventHandlerOptions = { claimsInbox: handler.extras?.claimsInbox === true };
    // Nest chains several handlers of one event (`next`); a handler that writes the inbox row in its
    // own statement cannot share the delivery with another one's writes.
    if (options.claimsInbox && handler.next)
      throw new Error(`the claimsInbox handler of "${key}" must be the event's only handler`);
    return { definition, consumer: consumerNameOf(this.options.service, { key }), fn, onInvalid, options };
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      const js = this.nc.jetstream();
      // Compile the consumed events' validators now, not on each one's first delivery.
      warmEventValidators(this.eventKeys().flatMap((key) => this.options.definitions.filter((d) => d.key === key)));
      for (const key of this.eventKeys()) {
        const entry = this.handlerFor(key);
        if (!entry) throw new Error(`no event definition for handler pattern "${key}"`);
        const consumer = await this.whenAvailable(entry.consumer, () =>
          js.consumers.get(this.options.stream, entry.consumer),
        );
        const messages = await consumer.consume({ max_messages: Math.max(2, this.options.concurrency * 2) });
        const loop = this.pump(entry.consumer, entry, messages);
        this.subscriptions.push({ key, consumer: entry.consumer, messages, loop });
        this.log.info({ consumer: entry.consumer, stream: this.options.stream }, 'consuming');
      }
      callback();
    } catch (e) {
      callback(e);
    }
  }

  /**
   * During a JetStream cluster's leader election (a node lost) consumer lookups time out for a few
   * seconds: a replica starting then waits for the cluster instead of failing its boot. A consumer
   * that does not exist fails at once (the bootstrap was not run).
   */
  private async whenAvailable<T>(consumer: string, lookup: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 60_000;
    for (let wait = 500; ; wait = Math.min(wait * 2, 5000)) {
      try {
        return await lookup();
      } catch (e) {
        if (/not found/i.test((e as Error).message) || Date.now() + wait > deadline) throw e;
        this.log.warn(
          { err: e, consumer, retryInMs: wait },
          'JetStream not answering (cluster election?); retrying consumer lookup',
        );
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private async pump(
    consumer: string,
    entry: NonNullable<ReturnType<JetStreamServer['handlerFor']>>,
    messages: ConsumerMessages,
  ): Promise<void> {
    for await (const msg of messages) {
      if (this.closing) {
        msg.nak(); // hand it back at once; another replica (or our restart) takes it
        continue;
      }
      await this.executor.submit(orderingKey(msg), () => this.handle(consumer, entry, msg));
    }
  }

  private async handle(
    consumer: string,
    entry: NonNullable<ReturnType<JetStreamServer['handlerFor']>>,
    msg: JsMsg,
  ): Promise<void> {
    // Long handlers keep the message theirs instead of letting it be redelivered mid-work.
    const keepAlive = setInterval(() => msg.working(), Math.max(1000, Math.floor(this.options.ackWaitMs / 3)));
    try {
      const outcome = await this.processor.process(
        consumer,
        entry.definition,
        entry.fn,
        {
          subject: msg.subject,
          data: msg.data,
          deliveryCount: msg.info.redeliveryCount,
          streamSeq: msg.seq,
          traceContext: traceHeaders(msg),
        },
        entry.onInvalid,
        entry.options,
      );
      switch (outcome.action) {
        case 'ack':
          msg.ack();
          break;
        case 'retry':
          msg.nak(outcome.delayMs);
          break;
        case 'term':
          // No reason string: nats-server 2.9 only understands a bare +TERM (the reason is in the dead letter).
          msg.term();
          break;
        default: {
          const never: never = outcome;
          throw new Error(`unhandled outcome ${JSON.stringify(never)}`);
        }
      }
    } catch (e) {
      this.log.error({ err: e, consumer }, 'event processing crashed; message will be redelivered');
      msg.nak(5000);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Stops pulling, lets in-flight handlers finish, then returns. */
  async close(): Promise<void> {
    this.closing = true;
    for (const s of this.subscriptions) s.messages.stop();
    await this.executor.idle();
    await Promise.allSettled(this.subscriptions.map((s) => s.loop));
    this.subscriptions.length = 0;
  }

  override on(): never {
    throw new Error('JetStreamServer does not emit transport events');
  }

  override unwrap<T>(): T {
    return this.nc as T;
  }
}

/** Events of one tenant are applied in order; others in parallel. */
function orderingKey(msg: JsMsg): string {
  try {
    const tenant = (JSON.parse(Buffer.from(msg.data).toString('utf8')) as { tenantid?: unknown }).tenantid;
    return typeof tenant === 'string' ? tenant : `seq:${msg.seq}`;
  } catch {
    return `seq:${msg.seq}`;
  }
}

/** The W3C trace-context headers of a message (set by the publishing relay), if any. */
function traceHeaders(msg: JsMsg): Record<string, string> | undefined {
  const traceparent = msg.headers?.get('traceparent');
  if (!traceparent) return undefined;
  const tracestate = msg.headers?.get('tracestate');
  return tracestate ? { traceparent, tracestate } : { traceparent };
}
