import { consumerNameOf } from '@tpo/contracts';
import {
  AckPolicy,
  ConsumerConfig,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamManager,
  nanos,
  RetentionPolicy,
  StorageType,
  StreamConfig,
} from 'nats';

export interface Topology {
  version: number;
  stream: {
    name: string;
    storage: 'file' | 'memory';
    retention: 'limits';
    discard: 'old' | 'new';
    num_replicas: number;
    max_age_seconds: number;
    max_msg_size: number;
    duplicate_window_seconds: number;
  };
  consumerDefaults: {
    ack_policy: 'explicit';
    deliver_policy: 'all';
    ack_wait_seconds: number;
    backoff_seconds: number[];
    max_deliver: number;
    max_ack_pending: number;
  };
  /** service name -> event keys it consumes */
  consumers: Record<string, string[]>;
}

export interface TopologyTarget {
  prefix: string;
  /** Keys of every event the stream carries (the contracts catalog, plus test-only events). */
  eventKeys: readonly string[];
  /** Overrides the stream name (tests run in their own stream). */
  streamName?: string;
  consumerOverrides?: Partial<Topology['consumerDefaults']>;
  /** Replicas of the stream and every consumer (3 on a JetStream cluster, 1 on one server); default: the topology's. */
  replicas?: number;
}

/**
 * `TPO_JS_REPLICAS`-style setting: a number, or `auto` (or nothing) = 3 when the connected server is
 * part of a cluster, else 1. A cluster of fewer than three nodes must say its number explicitly.
 */
export function replicasFor(setting: string | undefined, serverCluster: string | undefined): number {
  if (setting === undefined || setting === '' || setting === 'auto') return serverCluster ? 3 : 1;
  const n = Number(setting);
  if (!Number.isInteger(n) || n < 1 || n > 5)
    throw new Error(`JetStream replicas must be 1-5 or "auto", got "${setting}"`);
  return n;
}

export function streamConfigOf(t: Topology, target: TopologyTarget): Partial<StreamConfig> {
  return {
    name: target.streamName ?? t.stream.name,
    subjects: [...new Set(target.eventKeys)].map((key) => `${target.prefix}.evt.${key}`),
    storage: t.stream.storage === 'file' ? StorageType.File : StorageType.Memory,
    retention: RetentionPolicy.Limits,
    discard: t.stream.discard === 'old' ? DiscardPolicy.Old : DiscardPolicy.New,
    num_replicas: target.replicas ?? t.stream.num_replicas,
    max_age: nanos(t.stream.max_age_seconds * 1000),
    max_msg_size: t.stream.max_msg_size,
    duplicate_window: nanos(t.stream.duplicate_window_seconds * 1000),
  };
}

export function consumerConfigsOf(t: Topology, target: TopologyTarget): Partial<ConsumerConfig>[] {
  const d = { ...t.consumerDefaults, ...target.consumerOverrides };
  return Object.entries(t.consumers).flatMap(([service, keys]) =>
    keys.map((key) => ({
      durable_name: consumerNameOf(service, { key }),
      name: consumerNameOf(service, { key }),
      filter_subject: `${target.prefix}.evt.${key}`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(d.ack_wait_seconds * 1000),
      backoff: d.backoff_seconds.length > 0 ? d.backoff_seconds.map((s) => nanos(s * 1000)) : undefined,
      max_deliver: d.max_deliver,
      max_ack_pending: d.max_ack_pending,
      num_replicas: target.replicas ?? t.stream.num_replicas,
    })),
  );
}

/** Creates or updates the stream and every consumer. Running it twice changes nothing. */
export async function applyTopology(
  jsm: JetStreamManager,
  t: Topology,
  target: TopologyTarget,
): Promise<{ stream: string; consumers: string[] }> {
  const stream = streamConfigOf(t, target);
  const name = stream.name as string;
  const existing = await jsm.streams.info(name).catch(() => undefined);
  if (existing) await jsm.streams.update(name, stream);
  else await jsm.streams.add(stream);
  for (const keys of Object.values(t.consumers)) {
    const unknown = keys.filter((k) => !target.eventKeys.includes(k));
    if (unknown.length > 0) throw new Error(`topology consumes events missing from the catalog: ${unknown.join(', ')}`);
  }
  const names: string[] = [];
  for (const c of consumerConfigsOf(t, target)) {
    const info = await jsm.consumers.info(name, c.durable_name as string).catch(() => undefined);
    if (info) {
      // Filter subject and delivery policy are fixed at creation; the rest may change.
      const { ack_wait, backoff, max_deliver, max_ack_pending, num_replicas } = c;
      await jsm.consumers.update(name, c.durable_name as string, {
        ack_wait,
        backoff,
        max_deliver,
        max_ack_pending,
        num_replicas,
      });
    } else {
      await jsm.consumers.add(name, c);
    }
    names.push(c.durable_name as string);
  }
  return { stream: name, consumers: names };
}
