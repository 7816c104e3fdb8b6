import { UnitOfWork } from '@tpo/persistence';
import type { Logger } from 'pino';

/** How long finished rows are kept, per table family (days). */
export interface RetentionHorizons {
  outboxDays: number;
  inboxDays: number;
  jobDays: number;
  stepDays: number;
  auditDays: number;
  deadLetterDays: number;
}

interface Rule {
  name: keyof RetentionHorizons;
  table: string;
  /** Rows that are finished and older than the cutoff ($1). Unfinished rows are never purged. */
  where: string;
}

/**
 * What may go: published outbox rows; inbox rows (keep longer than the broker's redelivery and
 * JetStream's duplicate window, see docs/messaging.md); finished jobs; finished step records (with
 * their per-VM rows, by cascade); audit rows; dead letters already replayed or discarded (pending
 * ones are actionable and stay).
 */
const RULES: Rule[] = [
  { name: 'outboxDays', table: 'outbox', where: 'published_at IS NOT NULL AND published_at < $1' },
  { name: 'inboxDays', table: 'inbox', where: 'processed_at < $1' },
  { name: 'jobDays', table: 'job', where: "status IN ('succeeded', 'failed') AND updated_at < $1" },
  { name: 'stepDays', table: 'step_work', where: "status IN ('succeeded', 'failed') AND updated_at < $1" },
  { name: 'auditDays', table: 'audit_log', where: 'at < $1' },
  { name: 'deadLetterDays', table: 'dead_letter', where: "status IN ('replayed', 'discarded') AND created_at < $1" },
];

const BATCH = 5000;

/** Purges old rows of the service's own tables in small batches (short locks, no long transaction). */
export class RetentionSweeper {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly horizons: RetentionHorizons,
    private readonly logger: Logger,
  ) {}

  async sweep(now = new Date()): Promise<Record<string, number>> {
    const removed: Record<string, number> = {};
    for (const rule of RULES) {
      const [{ exists }] = await this.uow.manager().query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [rule.table]);
      if (!exists) continue;
      const cutoff = new Date(now.getTime() - this.horizons[rule.name] * 86_400_000);
      let total = 0;
      for (;;) {
        const res = await this.uow
          .manager()
          .query(
            `DELETE FROM ${rule.table} WHERE ctid IN (SELECT ctid FROM ${rule.table} WHERE ${rule.where} LIMIT ${BATCH})`,
            [cutoff],
          );
        const n = Array.isArray(res) ? Number(res[1] ?? 0) : 0;
        total += n;
        if (n < BATCH) break;
      }
      removed[rule.table] = total;
    }
    const any = Object.values(removed).some((n) => n > 0);
    if (any) this.logger.info({ removed }, 'retention sweep');
    return removed;
  }
}
