import { MigrationInterface, QueryRunner } from 'typeorm';

/** W3C trace context of the work that enqueued (or reopened) a job; its run continues that trace. */
export class JobTraceContext1764950000001 implements MigrationInterface {
  name = 'JobTraceContext1764950000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE job ADD COLUMN trace_context jsonb NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE job DROP COLUMN trace_context`);
  }
}
