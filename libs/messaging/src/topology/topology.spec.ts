import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EVENT_CATALOG } from '@tpo/contracts';
import { consumerConfigsOf, replicasFor, streamConfigOf, Topology } from './topology';

const topology = JSON.parse(
  readFileSync(resolve(__dirname, '../../../../deploy/nats/topology.json'), 'utf8'),
) as Topology;

describe('deploy/nats/topology.json', () => {
  it('declares exactly the consumers the contracts catalog names', () => {
    const declared = Object.entries(topology.consumers)
      .flatMap(([svc, keys]) => keys.map((k) => `${svc}:${k}`))
      .sort();
    const expected = EVENT_CATALOG.flatMap((d) => d.consumers.map((svc) => `${svc}:${d.key}`)).sort();
    expect(declared).toEqual(expected);
  });

  it('keeps the duplicate window above the relay’s worst retry gap (30 s) and the stream durable', () => {
    expect(topology.stream.duplicate_window_seconds).toBeGreaterThanOrEqual(60);
    expect(topology.stream.storage).toBe('file');
    const stream = streamConfigOf(topology, { prefix: 'tpo', eventKeys: EVENT_CATALOG.map((d) => d.key) });
    expect(stream.subjects).toEqual(EVENT_CATALOG.map((d) => `tpo.evt.${d.key}`));
  });

  it('lets the service decide dead-lettering before the server gives up (max_deliver above EVENT_MAX_ATTEMPTS cap)', () => {
    for (const c of consumerConfigsOf(topology, { prefix: 'tpo', eventKeys: [] })) {
      expect(c.max_deliver).toBeGreaterThan(50);
      expect(c.ack_policy).toBe('explicit');
      expect(c.filter_subject).toMatch(/^tpo\.evt\./);
    }
  });

  it('declares the stream and every consumer with the configured replicas (R3 in a cluster, R1 on one server)', () => {
    const target = { prefix: 'tpo', eventKeys: EVENT_CATALOG.map((d) => d.key) };
    expect(streamConfigOf(topology, target).num_replicas).toBe(topology.stream.num_replicas);
    expect(streamConfigOf(topology, { ...target, replicas: 3 }).num_replicas).toBe(3);
    for (const c of consumerConfigsOf(topology, { ...target, replicas: 3 })) expect(c.num_replicas).toBe(3);
    expect(replicasFor('auto', 'tpo-cluster')).toBe(3);
    expect(replicasFor(undefined, undefined)).toBe(1);
    expect(replicasFor('3', undefined)).toBe(3);
    expect(() => replicasFor('two', undefined)).toThrow(/replicas/);
  });
});
