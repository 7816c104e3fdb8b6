import {
  consumerNameOf,
  EVENT_CATALOG,
  EventDefinition,
  EventEnvelope,
  SERVICE_NAMES,
  subjectOf,
} from '@tpo/contracts';
import { referencedSchemaNames, validationSchemaOf, validationSchemas } from '@tpo/service-kit';

const SCHEMAS = '#/components/schemas/';
const channelId = (d: EventDefinition) => `${d.name[0].toLowerCase()}${d.name.slice(1)}V${d.version}`;
const messageId = (d: EventDefinition) => `${d.name}V${d.version}`;

export interface AsyncApiOptions {
  version: string;
  subjectPrefix?: string;
}

/** The NATS headers every event message carries (set by the outbox relay). */
const MESSAGE_HEADERS = {
  type: 'object',
  required: ['Nats-Msg-Id'],
  properties: {
    'Nats-Msg-Id': {
      type: 'string',
      format: 'uuid',
      description: "The event id: JetStream de-duplicates republished events within the stream's duplicate window",
    },
    traceparent: {
      type: 'string',
      pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
      description:
        "W3C trace context of the publish (present when the producer traces): the consumer's span continues the trace",
    },
    tracestate: { type: 'string', description: 'W3C trace state, when the trace carries one' },
  },
};

/**
 * The AsyncAPI 3 document of every event, generated from the contracts catalog: one channel per
 * subject, the payload schema derived from the event's class-validator class inside the shared
 * CloudEvents-style envelope, and one operation per producing service (send) and per consuming
 * service (receive, on its durable consumer).
 */
export function buildAsyncApiDocument(
  options: AsyncApiOptions,
  catalog: readonly EventDefinition[] = EVENT_CATALOG,
): Record<string, unknown> {
  const prefix = options.subjectPrefix ?? 'tpo';
  const all = validationSchemas(SCHEMAS);
  for (const d of catalog) all[d.payload.name] = validationSchemaOf(d.payload, SCHEMAS);
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const d of catalog) {
    const ch = channelId(d);
    const msg = messageId(d);
    if (Object.keys(all[d.payload.name].properties ?? {}).length === 0)
      throw new Error(`${d.name}: payload class ${d.payload.name} has no validation metadata`);
    messages[msg] = {
      name: d.name,
      title: `${d.name} v${d.version}`,
      summary: d.description,
      contentType: 'application/json',
      headers: MESSAGE_HEADERS,
      correlationId: {
        description: 'Carried from the originating request or event through every hop and log line',
        location: '$message.payload#/correlationid',
      },
      payload: {
        allOf: [
          { $ref: `${SCHEMAS}${EventEnvelope.name}` },
          {
            type: 'object',
            required: ['type', 'data'],
            properties: { type: { const: d.type }, data: { $ref: `${SCHEMAS}${d.payload.name}` } },
          },
        ],
      },
      'x-cloudevents-type': d.type,
    };
    channels[ch] = {
      address: subjectOf(d, prefix),
      title: `${d.name} v${d.version}`,
      description: `${d.description}\n\nStream TPO_EVENTS (file storage); the subject prefix is NATS_SUBJECT_PREFIX (\`${prefix}\` by default).`,
      messages: { [msg]: { $ref: `#/components/messages/${msg}` } },
    };
    const ref = { channel: { $ref: `#/channels/${ch}` }, messages: [{ $ref: `#/channels/${ch}/messages/${msg}` }] };
    for (const producer of d.producers) {
      operations[`${producer}.send.${ch}`] = {
        action: 'send',
        title: `${producer} publishes ${d.name}`,
        summary: SERVICE_NAMES.includes(producer as never)
          ? "Through the transactional outbox (written in the state change's transaction, published after commit)."
          : 'Published by an upstream system; validated on receipt, invalid events are dead-lettered.',
        ...ref,
      };
    }
    for (const consumer of d.consumers) {
      operations[`${consumer}.receive.${ch}`] = {
        action: 'receive',
        title: `${consumer} consumes ${d.name}`,
        summary: `Durable pull consumer \`${consumerNameOf(consumer, d)}\`; processed once per event id (inbox), redelivered with backoff on transient failure.`,
        ...ref,
      };
    }
  }
  const roots = [...catalog.map((d) => d.payload.name), EventEnvelope.name];
  const wanted = referencedSchemaNames(
    roots.map((n) => ({ $ref: `${SCHEMAS}${n}` })),
    all,
    SCHEMAS,
  );
  const schemas = Object.fromEntries([...wanted].sort().map((n) => [n, all[n]]));
  return {
    asyncapi: '3.1.0',
    info: {
      title: 'Tenant Protection Orchestrator events',
      version: options.version,
      description:
        'Every event of the platform on NATS JetStream. Each message is a CloudEvents 1.0 JSON envelope ' +
        '(`tenantid`, `correlationid` and `causationid` are extension attributes) whose `data` is the event payload. ' +
        'Generated from libs/contracts by `npm run asyncapi`; do not edit by hand. No event carries a secret.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: '127.0.0.1:4222', protocol: 'nats', description: "The local platform's NATS server (JetStream)" },
    },
    channels,
    operations,
    components: { messages, schemas },
  };
}
