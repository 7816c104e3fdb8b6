import { randomUUID } from 'node:crypto';
import { UnitOfWork } from '@tpo/persistence';
import { createLogger } from '@tpo/platform';
import { RetentionSweeper } from '@tpo/service-kit';
import { DataSource } from 'typeorm';
import { resetSchema, sql } from '../support/harness';
import { testDatabaseUrl } from '../support/test-env';

const SERVICE = 'activation-service';

describe('retention of job, step, audit, dead-letter, inbox and outbox rows (real Postgres, issue 9)', () => {
  let ds: DataSource;
  let seq = 0;

  beforeAll(async () => {
    ds = await new DataSource({ type: 'postgres', url: testDatabaseUrl(SERVICE) }).initialize();
    await resetSchema(SERVICE, ['outbox', 'inbox', 'dead_letter', 'job', 'step_vm', 'step_work', 'audit_log']);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it('purges finished rows past their horizon and keeps young or unfinished ones', async () => {
    const old = "now() - interval '40 days'";
    const young = "now() - interval '1 day'";
    const q = (text: string, params: unknown[] = []) => sql(SERVICE, text, params);
    for (const [status, at, tag] of [
      ['succeeded', old, 'old-done'],
      ['failed', old, 'old-failed'],
      ['running', old, 'old-running'],
      ['succeeded', young, 'young-done'],
    ] as const) {
      await q(`INSERT INTO job (id, kind, key, status, updated_at) VALUES ($1, 'k', $2, $3, ${at})`, [
        randomUUID(),
        tag,
        status,
      ]);
      const tenant = randomUUID();
      await q(
        `INSERT INTO step_work (tenant_id, step, site_id, status, input, updated_at) VALUES ($1, 'activate', 's', $2, '{}'::jsonb, ${at})`,
        [tenant, status],
      );
      await q(
        `INSERT INTO step_vm (tenant_id, step, bios_uuid, name, status) VALUES ($1, 'activate', $2, 'vm', 'succeeded')`,
        [tenant, randomUUID()],
      );
    }
    await q(
      `INSERT INTO audit_log (actor, via, action, outcome, at) VALUES ('a', 'jwt', 'old', 200, ${old}), ('a', 'jwt', 'young', 200, ${young})`,
    );
    await q(
      `INSERT INTO inbox (consumer, event_id, event_type, processed_at) VALUES ('c', $1, 'old', ${old}), ('c', $2, 'young', ${young})`,
      [randomUUID(), randomUUID()],
    );
    const dl = (status: string, at: string) =>
      q(
        `INSERT INTO dead_letter (id, consumer, subject, stream_seq, deliveries, reason, payload, status, created_at) VALUES ($1, 'c', 's', $3, 5, 'r', '{}', $2, ${at})`,
        [randomUUID(), status, ++seq],
      );
    await dl('replayed', old);
    await dl('pending', old);
    await dl('discarded', young);

    const sweeper = new RetentionSweeper(
      new UnitOfWork(ds),
      { outboxDays: 7, inboxDays: 30, jobDays: 30, stepDays: 30, auditDays: 30, deadLetterDays: 30 },
      createLogger('retention-test', 'silent'),
    );
    const removed = await sweeper.sweep();
    expect(removed).toMatchObject({ job: 2, step_work: 2, audit_log: 1, inbox: 1, dead_letter: 1 });
    expect((await q(`SELECT key FROM job ORDER BY key`)).map((r) => r.key)).toEqual(['old-running', 'young-done']);
    expect((await q(`SELECT status FROM step_work ORDER BY status`)).map((r) => r.status)).toEqual([
      'running',
      'succeeded',
    ]);
    expect((await q(`SELECT count(*)::int AS n FROM step_vm`))[0].n).toBe(2); // per-VM rows went with their step
    expect((await q(`SELECT action FROM audit_log`)).map((r) => r.action)).toEqual(['young']);
    expect((await q(`SELECT status FROM dead_letter ORDER BY status`)).map((r) => r.status)).toEqual([
      'discarded',
      'pending',
    ]);
  });
});
