import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fencing tokens and the correlation chain on jobs. `fence` grows by one on every claim: a worker
 * whose lease expired (stalled, partitioned) holds an old token, and every write of the job checks
 * it, so only the current holder can renew, record progress, succeed, fail or reschedule.
 * `correlation_id` / `causation_id` carry the order's correlation id and the event or request that
 * enqueued the job into everything the job emits and logs.
 */
export class JobFencing1764900000000 implements MigrationInterface {
  name = 'JobFencing1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE job ADD COLUMN fence bigint NOT NULL DEFAULT 0, ADD COLUMN correlation_id text NULL, ADD COLUMN causation_id text NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE job DROP COLUMN causation_id, DROP COLUMN correlation_id, DROP COLUMN fence`);
  }
}
