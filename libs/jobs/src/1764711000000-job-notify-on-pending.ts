import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wakes job runners only for rows that become pending (an enqueue, a reschedule, a release, a
 * reopen). The first job-table migration notified after every statement touching `status` or
 * `run_at` — including the runner's own claim, even one that claimed no row — so each claim woke
 * the runner for another claim: a busy loop of thousands of queries per second at idle.
 */
export class JobNotifyOnPending1764711000000 implements MigrationInterface {
  name = 'JobNotifyOnPending1764711000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER job_notify ON job`);
    // Row level, filtered by WHEN: claims (-> running) and completions never notify. NOTIFY with the
    // same channel and payload is folded into one per transaction, so a batch still wakes once.
    await q.query(
      `CREATE TRIGGER job_notify AFTER INSERT OR UPDATE OF status, run_at ON job FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION job_notify()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER job_notify ON job`);
    await q.query(
      `CREATE TRIGGER job_notify AFTER INSERT OR UPDATE OF status, run_at ON job FOR EACH STATEMENT EXECUTE FUNCTION job_notify()`,
    );
  }
}
