import { MigrationInterface, QueryRunner } from 'typeorm';

/** W3C trace context of the work that emitted an event; the relay sends it as NATS headers. */
export class OutboxTraceContext1764950000000 implements MigrationInterface {
  name = 'OutboxTraceContext1764950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN trace_context jsonb NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN trace_context`);
  }
}
