import { headers, JetStreamClient, NatsConnection } from 'nats';

export interface PublishResult {
  seq: number;
  duplicate: boolean;
}

/** Publishes raw event bytes to JetStream with `Nats-Msg-Id` = event id (publish-side dedup). */
export class EventPublisher {
  private readonly js: JetStreamClient;

  constructor(
    nc: NatsConnection,
    private readonly timeoutMs = 5000,
  ) {
    this.js = nc.jetstream({ timeout: timeoutMs });
  }

  async publish(
    subject: string,
    eventId: string,
    body: string | Uint8Array,
    extraHeaders: Record<string, string> = {},
  ): Promise<PublishResult> {
    const h = headers();
    for (const [k, v] of Object.entries(extraHeaders)) h.set(k, v);
    const ack = await this.js.publish(subject, body, { msgID: eventId, headers: h, timeout: this.timeoutMs });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }
}
