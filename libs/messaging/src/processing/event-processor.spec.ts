import { randomUUID } from 'node:crypto';
import { BackbonePing, EventEnvelope } from '@tpo/contracts';
import { DomainError, PlatformMetrics } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import pino from 'pino';
import { DeadLetterRepository, NewDeadLetter } from '../dead-letter/dead-letter.repository';
import { InboxClaim } from '../inbox/inbox-claim';
import { InboxRepository } from '../inbox/inbox.repository';
import { EventProcessor } from './event-processor';
import { RetryPolicy } from './retry-policy';

/** In-memory stand-ins for the repositories (the real ones are covered by the integration suite). */
function setup(options: { deadLetterFails?: boolean } = {}) {
  const claimed = new Set<string>();
  const transactions: string[] = [];
  const letters: NewDeadLetter[] = [];
  // Transactional like the real one: a failed unit of work leaves no inbox claim behind.
  const uow = {
    run: async <T>(w: () => Promise<T>) => {
      transactions.push('run');
      const before = new Set(claimed);
      try {
        return await w();
      } catch (e) {
        claimed.clear();
        before.forEach((c) => claimed.add(c));
        throw e;
      }
    },
  } as unknown as UnitOfWork;
  const inbox = {
    claim: async (c: string, id: string) => !claimed.has(`${c}/${id}`) && !!claimed.add(`${c}/${id}`),
  } as unknown as InboxRepository;
  const deadLetters = {
    record: async (d: NewDeadLetter) => {
      if (options.deadLetterFails) throw new Error('db down');
      letters.push(d);
    },
  } as unknown as DeadLetterRepository;
  const processor = new EventProcessor({
    service: 'svc',
    uow,
    inbox,
    deadLetters,
    retry: new RetryPolicy(3, 100, 1000, () => 0.5),
    metrics: new PlatformMetrics('svc'),
    logger: pino({ level: 'silent' }),
    maxMessageBytes: 2048,
  });
  /** What a `claimsInbox` handler does in its single statement: the inbox row gates its writes. */
  const claimInStatement = (claim: InboxClaim) => {
    const key = `${claim.consumer}/${claim.eventId}`;
    const inserted = !claimed.has(key);
    claimed.add(key);
    claim.settle(inserted);
    return inserted;
  };
  return { processor, letters, transactions, claimed, claimInStatement };
}

const ping = (data: Record<string, unknown> = {}): EventEnvelope => ({
  specversion: '1.0',
  id: randomUUID(),
  type: BackbonePing.type,
  source: 'tenant-service',
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  correlationid: 'c',
  data: { pingId: randomUUID(), route: ['tenant-service'], hop: 0, ...data },
});

const deliver = (e: unknown, deliveryCount = 1) => ({
  subject: 'tpo.evt.backbone-ping.v1',
  data: typeof e === 'string' ? e : JSON.stringify(e),
  deliveryCount,
  streamSeq: 7,
});

describe('EventProcessor', () => {
  it('applies an event once and acks its duplicate without calling the handler', async () => {
    const { processor } = setup();
    const handler = jest.fn(async () => undefined);
    const e = ping();
    expect(await processor.process('c1', BackbonePing, handler, deliver(e))).toEqual({
      action: 'ack',
      result: 'applied',
    });
    expect(await processor.process('c1', BackbonePing, handler, deliver(e, 2))).toEqual({
      action: 'ack',
      result: 'duplicate',
    });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('terminates and dead-letters malformed or invalid events without calling the handler', async () => {
    const { processor, letters } = setup();
    const handler = jest.fn(async () => undefined);
    expect(await processor.process('c1', BackbonePing, handler, deliver('{not json'))).toMatchObject({
      action: 'term',
    });
    expect(await processor.process('c1', BackbonePing, handler, deliver(ping({ hop: -1 })))).toMatchObject({
      action: 'term',
    });
    expect(
      await processor.process('c1', BackbonePing, handler, deliver(ping({ note: 'x'.repeat(3000) }))),
    ).toMatchObject({ action: 'term' });
    expect(handler).not.toHaveBeenCalled();
    expect(letters.map((l) => l.reason)).toEqual([
      expect.stringMatching(/malformed JSON/),
      expect.stringMatching(/data\.hop/),
      expect.stringMatching(/exceeds the 2048-byte limit/),
    ]);
    expect(letters[1].streamSeq).toBe(7);
  });

  it('retries transient failures with growing delay, then dead-letters when attempts run out', async () => {
    const { processor, letters } = setup();
    const handler = jest.fn(async () => {
      throw new Error('connection reset');
    });
    const e = ping();
    expect(await processor.process('c1', BackbonePing, handler, deliver(e, 1))).toEqual({
      action: 'retry',
      delayMs: 100,
      reason: 'connection reset',
    });
    expect(await processor.process('c1', BackbonePing, handler, deliver(e, 2))).toEqual({
      action: 'retry',
      delayMs: 200,
      reason: 'connection reset',
    });
    expect(await processor.process('c1', BackbonePing, handler, deliver(e, 3))).toMatchObject({
      action: 'term',
      result: 'dead_lettered',
    });
    expect(letters[0].reason).toMatch(/gave up after 3 deliveries: connection reset/);
  });

  it('dead-letters non-retryable domain errors at once, retries retryable ones', async () => {
    const { processor } = setup();
    const permanent = async () => {
      throw new DomainError('TENANT_UNKNOWN', 'no such tenant');
    };
    const transient = async () => {
      throw new DomainError('KSC_BUSY', 'try later', { retryable: true });
    };
    expect(await processor.process('c1', BackbonePing, permanent, deliver(ping()))).toMatchObject({
      action: 'term',
      reason: 'TENANT_UNKNOWN: no such tenant',
    });
    expect(await processor.process('c1', BackbonePing, transient, deliver(ping()))).toMatchObject({ action: 'retry' });
  });

  it('never terminates a message whose dead letter could not be stored', async () => {
    const { processor } = setup({ deadLetterFails: true });
    expect(await processor.process('c1', BackbonePing, jest.fn(), deliver('{bad'))).toMatchObject({ action: 'retry' });
  });

  describe('a handler that claims the inbox row in its own statement (claimsInbox)', () => {
    it('gets the claim, opens no transaction, and a redelivery is acked as a duplicate', async () => {
      const { processor, transactions, claimInStatement } = setup();
      const writes: string[] = [];
      const handler = jest.fn(async (e: EventEnvelope, inbox?: InboxClaim) => {
        if (claimInStatement(inbox!)) writes.push(e.id);
      });
      const e = ping();
      const claims = { claimsInbox: true };
      expect(await processor.process('c1', BackbonePing, handler, deliver(e), undefined, claims)).toEqual({
        action: 'ack',
        result: 'applied',
      });
      expect(await processor.process('c1', BackbonePing, handler, deliver(e, 2), undefined, claims)).toEqual({
        action: 'ack',
        result: 'duplicate',
      });
      expect(handler.mock.calls[0][1]).toMatchObject({ consumer: 'c1', eventId: e.id, eventType: BackbonePing.type });
      expect(writes).toEqual([e.id]);
      expect(transactions).toEqual([]);
    });

    it('claims the row itself when the handler wrote nothing (did not settle the claim)', async () => {
      const { processor, claimed } = setup();
      const e = ping();
      const outcome = await processor.process('c1', BackbonePing, jest.fn(), deliver(e), undefined, {
        claimsInbox: true,
      });
      expect(outcome).toEqual({ action: 'ack', result: 'applied' });
      expect(claimed.has(`c1/${e.id}`)).toBe(true);
    });

    it('maps its errors like any handler (transient: retry; the statement wrote nothing, so no row)', async () => {
      const { processor, claimed } = setup();
      const e = ping();
      const failing = async () => {
        throw new Error('connection reset');
      };
      expect(
        await processor.process('c1', BackbonePing, failing, deliver(e), undefined, { claimsInbox: true }),
      ).toEqual({
        action: 'retry',
        delayMs: 100,
        reason: 'connection reset',
      });
      expect(claimed.size).toBe(0);
    });

    it('a claim settles once', () => {
      const claim = new InboxClaim('c1', 'id', 'type');
      claim.settle(true);
      expect(() => claim.settle(false)).toThrow(/settled twice/);
    });
  });
});
